# _Bootstrap.ps1 - loaded ONCE into each long-lived PowerShell process (dot-sourced from a one-line command).
# Defines $HvbcInvoke, the only entry point the console ever calls:  & $HvbcInvoke '<Script-Name>' '<base64 JSON>'
# - script texts arrive as base64 JSON (name -> text) and become script blocks; no user text is ever parsed as code;
# - a script runs in this process (transport local, and Connect-HvbcSession) or in the remote PSSession created
#   by Connect-HvbcSession (transport winrm), through Invoke-Command -Session;
# - every output line is written to stdout at once: progress records (information stream, tag hvbc-progress)
#   become '@@HVBC-PROGRESS:<nonce>:<json>' lines, the script's envelope lines pass through unchanged;
# - '@@HVBC-DONE:<nonce>' always ends the command, even when the script itself failed to run.
param([string]$HvbcBootNonce, [string]$HvbcScriptsB64)

$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$WarningPreference = 'SilentlyContinue'
$VerbosePreference = 'SilentlyContinue'
$DebugPreference = 'SilentlyContinue'
$ConfirmPreference = 'None'
try { [Console]::OutputEncoding = New-Object System.Text.UTF8Encoding $false } catch { }

$global:HvbcScripts = @{}
$HvbcMap = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($HvbcScriptsB64)) | ConvertFrom-Json
foreach ($HvbcProp in $HvbcMap.PSObject.Properties) {
    $global:HvbcScripts[$HvbcProp.Name] = [ScriptBlock]::Create([string]$HvbcProp.Value)
}
Remove-Variable -Name @('HvbcMap', 'HvbcProp') -ErrorAction SilentlyContinue
$global:HvbcSession = $null
$global:HvbcLocalOnly = @('Connect-HvbcSession')

function global:Write-HvbcLine([string]$Text) {
    [Console]::Out.WriteLine($Text)
    [Console]::Out.Flush()
}

$global:HvbcInvoke = {
    param([string]$Name, [string]$InputB64)
    $nonce = ''
    $sawEnvelope = $false
    try {
        $req = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($InputB64)) | ConvertFrom-Json
        $nonce = [string]$req.nonce
        if ($nonce -notmatch '^[A-Za-z0-9]{16,64}$') { $nonce = ''; throw 'hvbc: invalid request nonce' }
        if (-not $global:HvbcScripts.ContainsKey($Name)) { throw "hvbc: script '$Name' is not loaded" }
        $sb = $global:HvbcScripts[$Name]
        $remote = ($null -ne $global:HvbcSession) -and ($global:HvbcLocalOnly -notcontains $Name)
        & {
            if ($remote) { Invoke-Command -Session $global:HvbcSession -ScriptBlock $sb -ArgumentList $InputB64 }
            else { & $sb $InputB64 }
        } 6>&1 | ForEach-Object {
            $item = $_
            $msg = $null
            if ($item -is [System.Management.Automation.InformationRecord]) { $msg = [string]$item.MessageData }
            elseif ($null -ne $item -and ($item.PSObject.TypeNames -match 'InformationRecord')) { $msg = [string]$item.MessageData }
            if ($null -ne $msg) {
                if ($msg.StartsWith('@@HVBC-PROGRESS:' + $nonce + ':')) { Write-HvbcLine $msg }
            } else {
                $line = [string]$item
                if ($line -eq ('@@HVBC-BEGIN:' + $nonce)) { $sawEnvelope = $true }
                Write-HvbcLine $line
            }
        }
    } catch {
        if ($nonce -ne '' -and -not $sawEnvelope) {
            $ex = $_.Exception
            $type = $ex.GetType().FullName
            $code = 'POWERSHELL_FAILED'
            if ($type -match 'PSRemotingTransportException|PSRemotingDataStructureException|RemoteException') { $code = 'HOST_UNREACHABLE' }
            $failure = @{ ok = $false; error = @{ code = $code; message = [string]$ex.Message; kind = $type } }
            Write-HvbcLine ('@@HVBC-BEGIN:' + $nonce)
            Write-HvbcLine ([regex]::Replace((ConvertTo-Json -InputObject $failure -Depth 5 -Compress), '[^\x00-\x7E]', { param($m) '\u{0:x4}' -f [int][char]$m.Value }))
            Write-HvbcLine ('@@HVBC-END:' + $nonce)
        } else {
            [Console]::Error.WriteLine('hvbc runner: ' + $_.Exception.Message)
        }
    } finally {
        if ($nonce -ne '') { Write-HvbcLine ('@@HVBC-DONE:' + $nonce) }
    }
}

$HvbcInfo = @{ psVersion = [string]$PSVersionTable.PSVersion; psEdition = [string]$PSVersionTable.PSEdition; host = [string]$env:COMPUTERNAME }
Write-HvbcLine ('@@HVBC-READY:' + $HvbcBootNonce + ':' + (ConvertTo-Json -InputObject $HvbcInfo -Compress))
