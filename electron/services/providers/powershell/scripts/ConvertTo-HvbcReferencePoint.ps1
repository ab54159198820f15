# ConvertTo-HvbcReferencePoint.ps1 - Hyper-V Backup Console (run only through $HvbcInvoke; see ../README.md)
# Converts a recovery checkpoint into a reference point (Msvm_VirtualSystemSnapshotService.ConvertToReferencePoint,
# hyperv-api.md 7.3): the checkpoint is deleted as a side effect; only recovery checkpoints can be converted.
param([Parameter(Mandatory = $true)][string]$InputB64)

#hvbc-include _Common.ps1   (the shared region, spliced in by script-library.ts when the console loads the scripts)

try {
    $vmGuid = Get-HvbcGuid $P.vmId 'vmId'
    $snapGuid = Get-HvbcGuid $P.checkpointId 'checkpointId'
    $sd = Get-HvbcSnapshotCim $vmGuid $snapGuid
    if ([string]$sd.VirtualSystemType -ne 'Microsoft:Hyper-V:Snapshot:Recovery') { Stop-Hvbc 'CONFLICT' "Checkpoint $snapGuid is $($sd.VirtualSystemType); only recovery checkpoints can become reference points." }
    $svc = Get-CimInstance -Namespace $HvbcNs -ClassName Msvm_VirtualSystemSnapshotService
    Write-HvbcProgress 'reference-point' 0 'Converting to reference point' $null
    $r = Invoke-CimMethod -InputObject $svc -MethodName ConvertToReferencePoint -Arguments @{ AffectedSnapshot = $sd }
    $job = Wait-HvbcJob $r 'reference-point' 'CHECKPOINT_FAILED' 'Msvm_VirtualSystemSnapshotService' 'ConvertToReferencePoint'
    $rp = $null
    if ($null -ne $job) { $rp = @($job | Get-CimAssociatedInstance -ResultClassName Msvm_VirtualSystemReferencePoint)[0] } else { $rp = $r.ResultingReferencePoint }
    if ($null -eq $rp) { Stop-Hvbc 'CHECKPOINT_FAILED' 'The conversion job finished but returned no reference point.' }
    $drives = Get-HvbcDrives @(Get-VMHardDiskDrive -VM (Get-VM -Id $vmGuid))
    Write-HvbcEnvelope @{ ok = $true; data = @{ referencePoint = (Get-HvbcReferencePointData $rp); drives = @($drives); convertedAt = (Get-Date).ToUniversalTime().ToString('o') } }
} catch {
    Write-HvbcEnvelope (Get-HvbcErrorEnvelope $_)
}
