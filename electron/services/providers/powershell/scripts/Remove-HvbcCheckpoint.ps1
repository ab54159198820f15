# Remove-HvbcCheckpoint.ps1 - Hyper-V Backup Console (run only through $HvbcInvoke; see ../README.md)
# Removes one checkpoint through WMI DestroySnapshot so the merge is a job whose progress can be shown (7.2, 7.7).
param([Parameter(Mandatory = $true)][string]$InputB64)

#hvbc-include _Common.ps1   (the shared region, spliced in by script-library.ts when the console loads the scripts)

try {
    $vmGuid = Get-HvbcGuid $P.vmId 'vmId'
    $snapGuid = Get-HvbcGuid $P.checkpointId 'checkpointId'
    $sd = Get-HvbcSnapshotCim $vmGuid $snapGuid
    $svc = Get-CimInstance -Namespace $HvbcNs -ClassName Msvm_VirtualSystemSnapshotService
    Write-HvbcProgress 'merge' 0 'Removing checkpoint' $null
    $r = Invoke-CimMethod -InputObject $svc -MethodName DestroySnapshot -Arguments @{ AffectedSnapshot = $sd }
    $null = Wait-HvbcJob $r 'merge' 'CHECKPOINT_FAILED' 'Msvm_VirtualSystemSnapshotService' 'DestroySnapshot'
    Write-HvbcEnvelope @{ ok = $true; data = @{ removed = $true; checkpointId = $snapGuid } }
} catch {
    Write-HvbcEnvelope (Get-HvbcErrorEnvelope $_)
}
