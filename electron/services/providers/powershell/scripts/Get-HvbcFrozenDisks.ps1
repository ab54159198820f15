# Get-HvbcFrozenDisks.ps1 - Hyper-V Backup Console (run only through $HvbcInvoke; see ../README.md)
# The disks of a checkpoint: files frozen (read-only) while it exists, with their chains (Get-VMHardDiskDrive -VMSnapshot).
# Paths are the owner node's local paths; the console turns them into \\node\C$\... administrative-share paths.
param([Parameter(Mandatory = $true)][string]$InputB64)

#hvbc-include _Common.ps1   (the shared region, spliced in by script-library.ts when the console loads the scripts)

try {
    $vmGuid = Get-HvbcGuid $P.vmId 'vmId'
    $snapGuid = Get-HvbcGuid $P.checkpointId 'checkpointId'
    $s = Get-VMSnapshot -Id $snapGuid
    if ($null -eq $s -or [string]$s.VMId -ne $vmGuid) { Stop-Hvbc 'NOT_FOUND' "Checkpoint $snapGuid of VM $vmGuid was not found on $env:COMPUTERNAME." }
    $drives = Get-HvbcDrives @(Get-VMHardDiskDrive -VMSnapshot $s)
    Write-HvbcEnvelope @{ ok = $true; data = @{ computerName = [string]$env:COMPUTERNAME; vmId = $vmGuid; checkpointId = $snapGuid; snapshotType = "$($s.SnapshotType)"; drives = @($drives) } }
} catch {
    Write-HvbcEnvelope (Get-HvbcErrorEnvelope $_)
}
