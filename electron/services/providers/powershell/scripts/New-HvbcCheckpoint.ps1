# New-HvbcCheckpoint.ps1 - Hyper-V Backup Console (run only through $HvbcInvoke; see ../README.md)
# Creates a checkpoint on the VM's owner node.
# recovery: WMI Msvm_VirtualSystemSnapshotService.CreateSnapshot, SnapshotType 32768, ConsistencyLevel 1 (application)
#           or 2 (crash), IgnoreNonSnapshottableDisks (hyperv-api.md 7.1); falls back 1 -> 2 unless requireConsistency.
# standard/production: Checkpoint-VM; the VM's own CheckpointType decides (6.2). The console never changes VM settings.
param([Parameter(Mandatory = $true)][string]$InputB64)

#hvbc-include _Common.ps1   (the shared region, spliced in by script-library.ts when the console loads the scripts)

try {
    $vmGuid = Get-HvbcGuid $P.vmId 'vmId'
    $vm = Get-VM -Id $vmGuid
    $fallback = $null; $reached = $null; $snapId = $null
    if ([string]$P.type -eq 'recovery') {
        $cs = Get-HvbcVmCim $vmGuid
        $svc = Get-CimInstance -Namespace $HvbcNs -ClassName Msvm_VirtualSystemSnapshotService
        $levels = @(1, 2)
        if ([string]$P.consistency -eq 'crash') { $levels = @(2) } elseif ($P.requireConsistency) { $levels = @(1) }
        foreach ($lvl in $levels) {
            try {
                Write-HvbcProgress 'checkpoint' 0 ("Creating a recovery checkpoint (" + $(if ($lvl -eq 1) { 'application' } else { 'crash' }) + "-consistent)") $null
                $set = Get-CimClass -Namespace $HvbcNs -ClassName Msvm_VirtualSystemSnapshotSettingData |
                    New-CimInstance -ClientOnly -Property @{ ConsistencyLevel = [byte]$lvl; IgnoreNonSnapshottableDisks = $true }
                $r = Invoke-CimMethod -InputObject $svc -MethodName CreateSnapshot -Arguments @{ AffectedSystem = $cs; SnapshotSettings = (ConvertTo-HvbcEmbedded $set); SnapshotType = [uint16]32768 }
                $job = Wait-HvbcJob $r 'checkpoint' 'CHECKPOINT_FAILED' 'Msvm_VirtualSystemSnapshotService' 'CreateSnapshot'
                $sd = $null
                if ($null -ne $job) { $sd = @($job | Get-CimAssociatedInstance -ResultClassName Msvm_VirtualSystemSettingData)[0] } else { $sd = $r.ResultingSnapshot }
                if ($null -eq $sd) { Stop-Hvbc 'CHECKPOINT_FAILED' 'The checkpoint job finished but returned no checkpoint.' }
                $snapId = [string]$sd.ConfigurationID
                if (-not $snapId) { $snapId = ([string]$sd.InstanceID) -replace '^Microsoft:', '' }
                $reached = $lvl
                break
            } catch {
                if ($lvl -eq $levels[-1]) { throw }
                $fallback = 'Application-consistent checkpoint failed (' + $_.Exception.Message + '); retried crash-consistent.'
            }
        }
    } else {
        $ct = "$($vm.CheckpointType)"
        if ($ct -eq 'Disabled') { Stop-Hvbc 'CHECKPOINT_FAILED' ("Checkpoints have been disabled for '" + $vm.Name + "'.") }
        if ([string]$P.type -eq 'standard' -and $ct -and $ct -ne 'Standard') { Stop-Hvbc 'CONFLICT' ("The VM's checkpoint type is $ct; a standard checkpoint needs Set-VM -CheckpointType Standard.") }
        if ([string]$P.type -eq 'production' -and $ct -eq 'Standard') { Stop-Hvbc 'CONFLICT' "The VM's checkpoint type is Standard; a production checkpoint needs Set-VM -CheckpointType Production or ProductionOnly." }
        $name = [string]$P.name
        if (-not $name) { $name = 'hvbc ' + (Get-Date).ToUniversalTime().ToString('yyyy-MM-dd HH:mm:ss') + 'Z' }
        Write-HvbcProgress 'checkpoint' 0 'Creating checkpoint' $null
        $snap = Checkpoint-VM -VM $vm -SnapshotName $name -Passthru
        $snapId = [string]$snap.Id
        if ([string]$P.type -eq 'production') { $reached = 1 } else { $reached = 2 }
    }
    $s = Get-VMSnapshot -Id $snapId
    $parent = $null; if ($s.ParentSnapshotId) { $parent = [string]$s.ParentSnapshotId }
    $data = @{ checkpoint = [pscustomobject]@{ id = [string]$s.Id; name = [string]$s.Name; snapshotType = "$($s.SnapshotType)"; parentId = $parent; created = (Get-HvbcIso $s.CreationTime) }
        consistencyLevel = $reached; fallbackReason = $fallback; vmCheckpointType = "$($vm.CheckpointType)" }
    Write-HvbcEnvelope @{ ok = $true; data = $data }
} catch {
    $e = Get-HvbcErrorEnvelope $_
    if ($e.error.code -eq 'POWERSHELL_FAILED') { $e.error.code = 'CHECKPOINT_FAILED' }
    Write-HvbcEnvelope $e
}
