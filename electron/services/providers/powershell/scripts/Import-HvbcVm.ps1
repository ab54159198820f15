# Import-HvbcVm.ps1 - Hyper-V Backup Console (run only through $HvbcInvoke; see ../README.md)
# Import as a copy with a NEW id (hyperv-api.md 10.1): Compare-VM -Copy -GenerateNewId first; import only when the
# compatibility report is clean. Incompatibilities/MessageId/Message are [UNVERIFIED] member names.
param([Parameter(Mandatory = $true)][string]$InputB64)

#hvbc-include _Common.ps1   (the shared region, spliced in by script-library.ts when the console loads the scripts)

try {
    $args2 = @{ Path = [string]$P.path; Copy = $true; GenerateNewId = $true }
    if ($P.vhdDestinationPath) { $args2.VhdDestinationPath = [string]$P.vhdDestinationPath }
    if ($P.virtualMachinePath) { $args2.VirtualMachinePath = [string]$P.virtualMachinePath }
    if ($P.snapshotFilePath) { $args2.SnapshotFilePath = [string]$P.snapshotFilePath }
    if ($P.smartPagingFilePath) { $args2.SmartPagingFilePath = [string]$P.smartPagingFilePath }
    Write-HvbcProgress 'import' 0 'Checking compatibility' $null
    $rep = Compare-VM @args2
    $issues = @($rep.Incompatibilities | ForEach-Object { [pscustomobject]@{ messageId = [string]$_.MessageId; message = [string]$_.Message } })
    if ($issues.Count -gt 0) {
        Write-HvbcEnvelope @{ ok = $true; data = @{ imported = $false; newVmId = $null; name = $null; issues = $issues } }
    } else {
        Write-HvbcProgress 'import' 10 'Importing' $null
        $vm = Import-VM -CompatibilityReport $rep
        if ($P.newName) { Rename-VM -VM $vm -NewName ([string]$P.newName); $vm = Get-VM -Id $vm.VMId }
        Write-HvbcProgress 'import' 100 'Imported' $null
        Write-HvbcEnvelope @{ ok = $true; data = @{ imported = $true; newVmId = [string]$vm.VMId; name = [string]$vm.Name; issues = @() } }
    }
} catch {
    Write-HvbcEnvelope (Get-HvbcErrorEnvelope $_)
}
