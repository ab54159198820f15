# Connect-HvbcSession.ps1 - Hyper-V Backup Console (run only through $HvbcInvoke; see ../README.md)
# Opens the remote PSSession this process uses for every later script (transport winrm). Runs locally.
# Kerberos by default; an explicit credential comes from the console's secret store inside the base64 request.
param([Parameter(Mandatory = $true)][string]$InputB64)

#hvbc-include _Common.ps1   (the shared region, spliced in by script-library.ts when the console loads the scripts)

try {
    $opt = @{ ComputerName = [string]$P.computerName; Authentication = [string]$P.authentication; ErrorAction = 'Stop' }
    if ($P.useSsl) { $opt.UseSSL = $true }
    if ($null -ne $P.port) { $opt.Port = [int]$P.port }
    if ($null -ne $P.credential) {
        $sec = ConvertTo-SecureString -String ([string]$P.credential.password) -AsPlainText -Force
        $opt.Credential = New-Object System.Management.Automation.PSCredential ([string]$P.credential.username, $sec)
    }
    if ($null -ne $global:HvbcSession) { Remove-PSSession -Session $global:HvbcSession -ErrorAction SilentlyContinue; $global:HvbcSession = $null }
    $s = New-PSSession @opt
    $info = Invoke-Command -Session $s -ScriptBlock { @{ host = [string]$env:COMPUTERNAME; psVersion = [string]$PSVersionTable.PSVersion; psEdition = [string]$PSVersionTable.PSEdition } }
    $global:HvbcSession = $s
    Write-HvbcEnvelope @{ ok = $true; data = @{ computerName = [string]$info.host; psVersion = [string]$info.psVersion; psEdition = [string]$info.psEdition; authentication = [string]$opt.Authentication } }
} catch {
    Write-HvbcEnvelope (Get-HvbcErrorEnvelope $_)
} finally {
    $P = $null; $HvbcIn = $null; $opt = $null; $sec = $null
}
