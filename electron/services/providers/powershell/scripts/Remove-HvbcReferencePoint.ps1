# Remove-HvbcReferencePoint.ps1 - Hyper-V Backup Console (run only through $HvbcInvoke; see ../README.md)
# Destroys one reference point (Msvm_VirtualSystemReferencePointService.DestroyReferencePoint, hyperv-api.md 7.5).
# The InstanceID is compared client-side: caller text never enters a WQL filter.
param([Parameter(Mandatory = $true)][string]$InputB64)

#hvbc-include _Common.ps1   (the shared region, spliced in by script-library.ts when the console loads the scripts)

try {
    $vmGuid = Get-HvbcGuid $P.vmId 'vmId'
    $want = [string]$P.referencePointId
    $cs = Get-HvbcVmCim $vmGuid
    $rp = @($cs | Get-CimAssociatedInstance -Association Msvm_ReferencePointOfVirtualSystem | Where-Object { [string]$_.InstanceID -eq $want })[0]
    if ($null -eq $rp) { Stop-Hvbc 'NOT_FOUND' "Reference point $want of VM $vmGuid was not found." }
    $svc = Get-CimInstance -Namespace $HvbcNs -ClassName Msvm_VirtualSystemReferencePointService
    $r = Invoke-CimMethod -InputObject $svc -MethodName DestroyReferencePoint -Arguments @{ AffectedReferencePoint = $rp }
    $null = Wait-HvbcJob $r 'reference-point' 'POWERSHELL_FAILED' 'Msvm_VirtualSystemReferencePointService' 'DestroyReferencePoint'
    Write-HvbcEnvelope @{ ok = $true; data = @{ removed = $true; referencePointId = $want } }
} catch {
    Write-HvbcEnvelope (Get-HvbcErrorEnvelope $_)
}
