# Get-HvbcInventory.ps1 - Hyper-V Backup Console (run only through $HvbcInvoke; see ../README.md)
# Whole-estate inventory (hyperv-api.md 4, 5, 6, 12): cluster, nodes, CSVs with per-node state, VM groups, VMs,
# drives and chains, checkpoints, reference points. Run on any cluster node (or a standalone host).
param([Parameter(Mandatory = $true)][string]$InputB64)

#hvbc-include _Common.ps1   (the shared region, spliced in by script-library.ts when the console loads the scripts)

#region hvbc-inventory-collect v1 (identical in Get-HvbcInventory.ps1 and Export-HvbcInventory.ps1; a unit test checks)
# Raw inventory: every enum, GUID and date is stringified here (hyperv-api.md 3); the console normalises and validates.
function ConvertTo-HvbcInvDate($Value) {
    if ($null -eq $Value) { return $null }
    if ($Value -is [datetime]) { return $Value.ToUniversalTime().ToString('o') }
    return [string]$Value
}
function Get-HvbcInvTarget([string]$Computer) {
    # Splat for cmdlets that take -ComputerName; nothing for this machine (no WinRM loop-back).
    if (-not $Computer -or $Computer -eq $env:COMPUTERNAME -or $Computer -eq 'localhost') { return @{} }
    return @{ ComputerName = $Computer }
}
function Get-HvbcInvChain([string]$Path, [hashtable]$Target) {
    $chain = @(); $seen = @{}; $p = $Path
    while ($p -and -not $seen.ContainsKey($p.ToLowerInvariant())) {
        $seen[$p.ToLowerInvariant()] = $true
        $v = Get-VHD -Path $p @Target
        $parent = $null; if ($v.ParentPath) { $parent = [string]$v.ParentPath }
        $chain += [pscustomobject]@{ path = [string]$v.Path; vhdFormat = "$($v.VhdFormat)"; vhdType = "$($v.VhdType)"; size = $v.Size; fileSize = $v.FileSize; parentPath = $parent; diskIdentifier = [string]$v.DiskIdentifier }
        $p = $parent
    }
    return , $chain
}
function Get-HvbcInvDrives($Drives, [hashtable]$Target) {
    @($Drives | ForEach-Object {
        $d = $_; $chain = @(); $chainError = $null
        if ($d.Path -and $null -eq $d.DiskNumber) { try { $chain = Get-HvbcInvChain ([string]$d.Path) $Target } catch { $chainError = $_.Exception.Message } }
        [pscustomobject]@{ id = [string]$d.Id; controllerType = "$($d.ControllerType)"; controllerNumber = $d.ControllerNumber; controllerLocation = $d.ControllerLocation
            path = [string]$d.Path; diskNumber = $d.DiskNumber; supportPersistentReservations = [bool]$d.SupportPersistentReservations; chain = $chain; chainError = $chainError }
    })
}
function Get-HvbcInventoryData([bool]$IncludeReferencePoints, [string]$VmScope = 'all-nodes', [bool]$SkipCluster = $false) {
    # VmScope 'this-node': only this machine's VMs (the console fans out to each node itself, so that a WinRM
    # session never makes a second hop to the other nodes). SkipCluster: VMs only, no cluster/CSV queries.
    $local = [string]$env:COMPUTERNAME
    $warnings = New-Object System.Collections.Generic.List[string]
    $cluster = $null; $nodes = @(); $groups = @(); $csvs = @(); $csvStates = @()
    $c = $null
    if (-not $SkipCluster -and (Get-Command Get-Cluster -ErrorAction SilentlyContinue)) {
        try { $c = Get-Cluster -ErrorAction Stop } catch { $warnings.Add('Not clustered or cluster unreachable: ' + $_.Exception.Message) }
    }
    if ($null -ne $c) {
        $cluster = [pscustomobject]@{ name = [string]$c.Name; functionalLevel = "$($c.ClusterFunctionalLevel)" }
        $nodes = @(Get-ClusterNode | ForEach-Object {
            [pscustomobject]@{ name = [string]$_.Name; id = [string]$_.Id; state = "$($_.State)"; majorVersion = $_.MajorVersion; minorVersion = $_.MinorVersion; buildNumber = $_.BuildNumber; osVersion = $null; osCaption = $null } })
        $groups = @(Get-ClusterGroup | Where-Object { "$($_.GroupType)" -eq 'VirtualMachine' } | ForEach-Object {
            $g = $_; $vmId = $null
            try { $vmId = [string](@($g | Get-ClusterResource | Where-Object { "$($_.ResourceType)" -eq 'Virtual Machine' } | Get-ClusterParameter -Name VmID)[0].Value) } catch { }
            [pscustomobject]@{ name = [string]$g.Name; groupType = "$($g.GroupType)"; ownerNode = "$($g.OwnerNode)"; state = "$($g.State)"; vmId = $vmId } })
        try {
            $csvs = @(foreach ($v in Get-ClusterSharedVolume) {
                $owner = "$($v.OwnerNode)"; if (-not $owner) { $owner = "$($v.Node)" }
                foreach ($i in @($v.SharedVolumeInfo)) {
                    $part = $i.Partition; $size = $null; $free = $null; $fs = $null; $fsType = $null
                    if ($null -ne $part -and -not ($part -is [string])) { $size = $part.Size; $free = $part.FreeSpace; $fs = [string]$part.FileSystem }
                    if (-not $fs -or $fs -eq 'CSVFS') { try { $fsType = [string](Get-Volume -FilePath ([string]$i.FriendlyVolumeName)).FileSystemType } catch { } }
                    [pscustomobject]@{ id = [string]$v.Id; name = [string]$v.Name; state = "$($v.State)"; ownerNode = $owner; path = [string]$i.FriendlyVolumeName
                        fileSystem = $fs; fileSystemType = $fsType; size = $size; free = $free; partitionText = $(if ($part -is [string]) { $part } else { $null }) }
                } })
            $csvStates = @(Get-ClusterSharedVolumeState | ForEach-Object {
                [pscustomobject]@{ name = [string]$_.Name; node = "$($_.Node)"; stateInfo = "$($_.StateInfo)"; state = "$($_.State)"; fsReason = "$($_.FileSystemRedirectedIOReason)"
                    blockReason = "$($_.BlockRedirectedIOReason)"; redirectedReason = "$($_.RedirectedIOReason)"; volumeName = [string]$_.VolumeName; volumeFriendlyName = [string]$_.VolumeFriendlyName } })
        } catch { $warnings.Add('CSV query failed: ' + $_.Exception.Message) }
    } else {
        $nodes = @([pscustomobject]@{ name = $local; id = $null; state = 'Up'; majorVersion = $null; minorVersion = $null; buildNumber = $null; osVersion = $null; osCaption = $null })
    }
    foreach ($n in $nodes) {
        if ($n.state -ne 'Up' -and $n.state -ne 'Paused') { continue }
        if ($VmScope -eq 'this-node' -and $n.name -ne $local) { continue }
        $t0 = Get-HvbcInvTarget $n.name
        try { $os = Get-CimInstance -ClassName Win32_OperatingSystem @t0 -ErrorAction Stop; $n.osVersion = [string]$os.Version; $n.osCaption = [string]$os.Caption }
        catch { $warnings.Add("OS version of $($n.name): " + $_.Exception.Message) }
    }
    $vms = New-Object System.Collections.Generic.List[object]
    $vmGroups = @{}
    $vhdsPaths = @{}
    foreach ($n in $nodes) {
        if ($n.state -ne 'Up' -and $n.state -ne 'Paused') { continue }
        if ($VmScope -eq 'this-node' -and $n.name -ne $local) { continue }
        $t = Get-HvbcInvTarget $n.name
        $list = @()
        try { $list = @(Get-VM @t) } catch { $warnings.Add("Get-VM on $($n.name): " + $_.Exception.Message); continue }
        foreach ($vm in $list) {
            $snaps = @{}
            foreach ($s in @(Get-VMSnapshot -VM $vm -ErrorAction SilentlyContinue) + @(Get-VMSnapshot -VM $vm -SnapshotType Recovery -ErrorAction SilentlyContinue)) {
                if ($null -eq $s -or $snaps.ContainsKey([string]$s.Id)) { continue }
                $parent = $null; if ($s.ParentSnapshotId) { $parent = [string]$s.ParentSnapshotId }
                $sd = @(Get-VMHardDiskDrive -VMSnapshot $s -ErrorAction SilentlyContinue | ForEach-Object {
                    [pscustomobject]@{ controllerType = "$($_.ControllerType)"; controllerNumber = $_.ControllerNumber; controllerLocation = $_.ControllerLocation; path = [string]$_.Path } })
                $snaps[[string]$s.Id] = [pscustomobject]@{ id = [string]$s.Id; name = [string]$s.Name; snapshotType = "$($s.SnapshotType)"; parentId = $parent; created = (ConvertTo-HvbcInvDate $s.CreationTime); drives = $sd }
            }
            $drives = Get-HvbcInvDrives @(Get-VMHardDiskDrive -VM $vm) $t
            foreach ($d in $drives) { if ($d.path -match '\.vhds$') { $vhdsPaths[$d.path.ToLowerInvariant()] = @($d.path, $n.name) } }
            $rps = @()
            if ($IncludeReferencePoints) {
                try {
                    $cs = Get-CimInstance -Namespace 'root\virtualization\v2' -ClassName Msvm_ComputerSystem -Filter ("Name='" + ([guid]$vm.VMId).ToString() + "'") @t
                    $rps = @($cs | Get-CimAssociatedInstance -Association Msvm_ReferencePointOfVirtualSystem -ErrorAction Stop | ForEach-Object {
                        [pscustomobject]@{ instanceId = [string]$_.InstanceID; vmId = [string]$_.VirtualSystemIdentifier; referencePointType = $_.ReferencePointType; consistencyLevel = $_.ConsistencyLevel
                            created = (ConvertTo-HvbcInvDate $_.CreationTime); virtualDiskIdentifiers = @($_.VirtualDiskIdentifiers | ForEach-Object { [string]$_ }); rctIds = @($_.ResilientChangeTrackingIdentifiers | ForEach-Object { [string]$_ }) } })
                } catch { $warnings.Add("Reference points of $($vm.Name): " + $_.Exception.Message) }
            }
            $parentCp = $null; if ($vm.ParentCheckpointId) { $parentCp = [string]$vm.ParentCheckpointId }
            $vms.Add([pscustomobject]@{
                id = [string]$vm.VMId; name = [string]$vm.Name; computerName = [string]$vm.ComputerName; state = "$($vm.State)"; generation = $vm.Generation; version = [string]$vm.Version
                checkpointType = "$($vm.CheckpointType)"; automaticCheckpoints = $vm.AutomaticCheckpointsEnabled; isClustered = [bool]$vm.IsClustered; notes = [string]$vm.Notes
                parentCheckpointId = $parentCp; scsiControllers = @(Get-VMScsiController -VM $vm).Count
                integrationServices = @(Get-VMIntegrationService -VM $vm | ForEach-Object { [pscustomobject]@{ name = [string]$_.Name; enabled = [bool]$_.Enabled; primaryStatus = "$($_.PrimaryStatusDescription)"; secondaryStatus = "$($_.SecondaryStatusDescription)" } })
                checkpoints = @($snaps.Values); drives = @($drives); referencePoints = $rps })
        }
        try {
            foreach ($g in @(Get-VMGroup @t -ErrorAction Stop)) {
                $gid = [string]$g.InstanceId
                if ($vmGroups.ContainsKey($gid)) { continue }
                $vmGroups[$gid] = [pscustomobject]@{ id = $gid; name = [string]$g.Name; groupType = "$($g.GroupType)"; computerName = $n.name
                    members = @($g.VMMembers | ForEach-Object { [string]$_.VMId }); groupMembers = @($g.VMGroupMembers | ForEach-Object { [string]$_.InstanceId }) }
            }
        } catch { $warnings.Add("Get-VMGroup on $($n.name): " + $_.Exception.Message) }
    }
    $vhdSets = @(foreach ($k in $vhdsPaths.Keys) {
        $path = $vhdsPaths[$k][0]; $t = Get-HvbcInvTarget $vhdsPaths[$k][1]
        try { $s = Get-VHDSet -Path $path @t; [pscustomobject]@{ path = [string]$s.Path; snapshotIds = @($s.SnapshotIdList | ForEach-Object { [string]$_ }); error = $null } }
        catch { [pscustomobject]@{ path = $path; snapshotIds = @(); error = $_.Exception.Message } }
    })
    [pscustomobject]@{
        schema = 1; collectedAt = (Get-Date).ToUniversalTime().ToString('o'); collectedOn = $local; vmScope = $VmScope
        psVersion = [string]$PSVersionTable.PSVersion; psEdition = [string]$PSVersionTable.PSEdition
        cluster = $cluster; nodes = @($nodes); clusterGroups = @($groups); csvs = @($csvs); csvStates = @($csvStates)
        vms = @($vms.ToArray()); vmGroups = @($vmGroups.Values); vhdSets = @($vhdSets); warnings = @($warnings.ToArray())
    }
}
#endregion hvbc-inventory-collect
try {
    $scope = 'all-nodes'; if ([string]$P.vmScope -eq 'this-node') { $scope = 'this-node' }
    $data = Get-HvbcInventoryData ([bool]$P.includeReferencePoints) $scope ([bool]$P.skipCluster)
    Write-HvbcEnvelope @{ ok = $true; data = $data }
} catch {
    Write-HvbcEnvelope (Get-HvbcErrorEnvelope $_)
}
