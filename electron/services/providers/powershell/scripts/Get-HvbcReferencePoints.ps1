# Get-HvbcReferencePoints.ps1 - Hyper-V Backup Console (run only through $HvbcInvoke; see ../README.md)
# A VM's reference points (association Msvm_ReferencePointOfVirtualSystem, hyperv-api.md 7.3/7.4) and its current
# drives, so the console can map VirtualDiskIdentifiers[i] / ResilientChangeTrackingIdentifiers[i] to disks.
param([Parameter(Mandatory = $true)][string]$InputB64)

#hvbc-include _Common.ps1   (the shared region, spliced in by script-library.ts when the console loads the scripts)

try {
    $vmGuid = Get-HvbcGuid $P.vmId 'vmId'
    $cs = Get-HvbcVmCim $vmGuid
    $rps = @($cs | Get-CimAssociatedInstance -Association Msvm_ReferencePointOfVirtualSystem | ForEach-Object { Get-HvbcReferencePointData $_ })
    $drives = Get-HvbcDrives @(Get-VMHardDiskDrive -VM (Get-VM -Id $vmGuid))
    Write-HvbcEnvelope @{ ok = $true; data = @{ referencePoints = @($rps); drives = @($drives) } }
} catch {
    Write-HvbcEnvelope (Get-HvbcErrorEnvelope $_)
}
