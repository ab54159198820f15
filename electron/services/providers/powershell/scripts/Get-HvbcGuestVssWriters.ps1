# Get-HvbcGuestVssWriters.ps1 - Hyper-V Backup Console (run only through $HvbcInvoke; see ../README.md)
# Guest VSS writer states through PowerShell Direct (hyperv-api.md 11.2): Invoke-Command -VMId with a guest
# credential, on the VM's owner node. The raw 'vssadmin list writers' text is parsed by the console (by the state
# NUMBER, not the localized words).
param([Parameter(Mandatory = $true)][string]$InputB64)

#hvbc-include _Common.ps1   (the shared region, spliced in by script-library.ts when the console loads the scripts)

try {
    $vmGuid = Get-HvbcGuid $P.vmId 'vmId'
    if ($null -eq $P.credential) { Stop-Hvbc 'UNAUTHORIZED' 'PowerShell Direct needs a guest credential; none is configured for this VM.' }
    $sec = ConvertTo-SecureString -String ([string]$P.credential.password) -AsPlainText -Force
    $cred = New-Object System.Management.Automation.PSCredential ([string]$P.credential.username, $sec)
    $vm = Get-VM -Id $vmGuid
    if ("$($vm.State)" -ne 'Running') { Stop-Hvbc 'CONFLICT' ("'" + $vm.Name + "' is " + $vm.State + '; PowerShell Direct needs a running VM.') }
    $raw = Invoke-Command -VMId $vmGuid -Credential $cred -ScriptBlock { (& vssadmin list writers 2>&1 | Out-String) }
    Write-HvbcEnvelope @{ ok = $true; data = @{ vmId = $vmGuid; collectedAt = (Get-Date).ToUniversalTime().ToString('o'); raw = [string]$raw } }
} catch {
    Write-HvbcEnvelope (Get-HvbcErrorEnvelope $_)
} finally {
    $P = $null; $HvbcIn = $null; $sec = $null; $cred = $null
}
