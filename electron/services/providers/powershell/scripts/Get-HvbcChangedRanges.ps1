# Get-HvbcChangedRanges.ps1 - Hyper-V Backup Console (run only through $HvbcInvoke; see ../README.md)
# Changed byte ranges of one disk since an RCT id (Msvm_ImageManagementService.GetVirtualDiskChanges, hyperv-api.md 8.1).
# Path: the disk at the same controller slot in the newest recovery checkpoint (NXM), else the live disk (a superset).
# Offsets and lengths are emitted as strings (uint64 above 2^53 would lose precision in JSON.parse).
# A method or job failure means change tracking cannot answer: the result says full-required and why (NXM fallback).
param([Parameter(Mandatory = $true)][string]$InputB64)

#hvbc-include _Common.ps1   (the shared region, spliced in by script-library.ts when the console loads the scripts)

try {
    $vmGuid = Get-HvbcGuid $P.vmId 'vmId'
    $slot = $P.slot
    $vm = Get-VM -Id $vmGuid
    $isSlot = { param($d) "$($d.ControllerType)" -eq [string]$slot.controllerType -and [int]$d.ControllerNumber -eq [int]$slot.controllerNumber -and [int]$d.ControllerLocation -eq [int]$slot.controllerLocation }
    $source = 'live'; $path = $null
    $rec = @(Get-VMSnapshot -VM $vm -SnapshotType Recovery -ErrorAction SilentlyContinue | Sort-Object CreationTime)
    if ($rec.Count -gt 0) {
        $d = @(Get-VMHardDiskDrive -VMSnapshot $rec[-1] | Where-Object { & $isSlot $_ })[0]
        if ($null -ne $d) { $path = [string]$d.Path; $source = 'recovery-checkpoint' }
    }
    if (-not $path) {
        $d = @(Get-VMHardDiskDrive -VM $vm | Where-Object { & $isSlot $_ })[0]
        if ($null -eq $d) { Stop-Hvbc 'NOT_FOUND' "VM $vmGuid has no disk at $($slot.controllerType) $($slot.controllerNumber):$($slot.controllerLocation)." }
        $path = [string]$d.Path
    }
    $len = [uint64](Get-VHD -Path $path).Size
    $ims = Get-CimInstance -Namespace $HvbcNs -ClassName Msvm_ImageManagementService
    $ranges = New-Object System.Collections.Generic.List[object]
    $off = [uint64]0
    $full = $null
    while ($off -lt $len) {
        $r = Invoke-CimMethod -InputObject $ims -MethodName GetVirtualDiskChanges -Arguments @{
            Path = $path; LimitId = [string]$P.rctId; TargetSnapshotId = ''; ByteOffset = $off; ByteLength = ($len - $off) }
        $rv = [int]$r.ReturnValue
        if ($rv -eq 4096) {
            try { $null = Wait-HvbcJob $r 'changed-ranges' 'POWERSHELL_FAILED' 'Msvm_ImageManagementService' 'GetVirtualDiskChanges' }
            catch { $full = 'The change query job failed: ' + $_.Exception.Message; break }
        } elseif ($rv -ne 0) {
            $full = 'GetVirtualDiskChanges: ' + (Get-HvbcReturnText 'Msvm_ImageManagementService' 'GetVirtualDiskChanges' $rv) + " ($rv)"; break
        }
        $offs = @($r.ChangedByteOffsets); $lens = @($r.ChangedByteLengths)
        for ($i = 0; $i -lt $offs.Count; $i++) { $ranges.Add(@([string]$offs[$i], [string]$lens[$i])) }
        $done = [uint64]$r.ProcessedByteLength
        if ($done -eq 0) { break }
        $off += $done
        Write-HvbcProgress 'changed-ranges' ([int](100 * $off / $len)) '' $null
    }
    if ($null -ne $full) {
        Write-HvbcEnvelope @{ ok = $true; data = @{ fullRequired = $true; reason = $full; path = $path; source = $source } }
    } else {
        Write-HvbcEnvelope @{ ok = $true; data = @{ fullRequired = $false; path = $path; source = $source; virtualSize = [string]$len; ranges = @($ranges.ToArray()) } }
    }
} catch {
    Write-HvbcEnvelope (Get-HvbcErrorEnvelope $_)
}
