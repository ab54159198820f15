# Export-HvbcVm.ps1 - Hyper-V Backup Console (run only through $HvbcInvoke; see ../README.md)
# Backup export of a checkpoint (Msvm_VirtualSystemManagementService.ExportSystemDefinition, hyperv-api.md 9.2):
# CopySnapshotConfiguration 3 (ExportOneSnapshotForBackup), optional DifferentialBackupBase = a reference point.
# Without a checkpoint: CopySnapshotConfiguration 1 (the VM must then be off or saved, per the WMI doc).
param([Parameter(Mandatory = $true)][string]$InputB64)

#hvbc-include _Common.ps1   (the shared region, spliced in by script-library.ts when the console loads the scripts)

try {
    $vmGuid = Get-HvbcGuid $P.vmId 'vmId'
    $cs = Get-HvbcVmCim $vmGuid
    $esd = @($cs | Get-CimAssociatedInstance -ResultClassName Msvm_VirtualSystemExportSettingData)[0]
    if ($null -eq $esd) { Stop-Hvbc 'UNSUPPORTED' 'This host does not expose Msvm_VirtualSystemExportSettingData for the VM.' }
    $esd.CopyVmRuntimeInformation = $false
    $esd.CopyVmStorage = $true
    $esd.CreateVmExportSubdirectory = $false
    if ($P.checkpointId) {
        $snapGuid = Get-HvbcGuid $P.checkpointId 'checkpointId'
        $esd.CopySnapshotConfiguration = [byte]3
        $esd.SnapshotVirtualSystem = ConvertTo-HvbcWmiPath (Get-HvbcSnapshotCim $vmGuid $snapGuid)
        $esd.BackupIntent = [byte]$(if ([string]$P.backupIntent -eq 'merge') { 1 } else { 0 })
        if ($P.differentialBase) {
            $want = [string]$P.differentialBase
            $rp = @($cs | Get-CimAssociatedInstance -Association Msvm_ReferencePointOfVirtualSystem | Where-Object { [string]$_.InstanceID -eq $want })[0]
            if ($null -eq $rp) { Stop-Hvbc 'NOT_FOUND' "Reference point $want (differential base) was not found." }
            $esd.DifferentialBackupBase = ConvertTo-HvbcWmiPath $rp
        }
    } else {
        $esd.CopySnapshotConfiguration = [byte]1
    }
    $vsms = Get-CimInstance -Namespace $HvbcNs -ClassName Msvm_VirtualSystemManagementService
    Write-HvbcProgress 'export' 0 'Starting export' $null
    $r = Invoke-CimMethod -InputObject $vsms -MethodName ExportSystemDefinition -Arguments @{ ComputerSystem = $cs; ExportDirectory = [string]$P.destination; ExportSettingData = (ConvertTo-HvbcEmbedded $esd) }
    $job = Wait-HvbcJob $r 'export' 'POWERSHELL_FAILED' 'Msvm_VirtualSystemManagementService' 'ExportSystemDefinition'
    Write-HvbcEnvelope @{ ok = $true; data = @{ vmId = $vmGuid; destination = [string]$P.destination; checkpointId = $P.checkpointId; differential = [bool]$P.differentialBase; jobId = $(if ($job) { [string]$job.InstanceID } else { $null }) } }
} catch {
    Write-HvbcEnvelope (Get-HvbcErrorEnvelope $_)
}
