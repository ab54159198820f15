# _Common.ps1 - Hyper-V Backup Console: the helpers every allow-listed script shares (parameters, envelopes, GUIDs,
# dates, progress). Never run on its own: script-library.ts splices it into each script in place of its include line.
#region hvbc-common v1 (spliced into every allow-listed script at its '#hvbc-include _Common.ps1' line; Export-HvbcInventory.ps1 is standalone and keeps its own copy)
# Parameters arrive ONLY as one base64 literal of UTF-8 JSON { nonce, params }; nothing else is ever interpolated.
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$WarningPreference = 'SilentlyContinue'
$VerbosePreference = 'SilentlyContinue'
$ConfirmPreference = 'None'
$HvbcIn = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($InputB64)) | ConvertFrom-Json
$HvbcNonce = [string]$HvbcIn.nonce
if ($HvbcNonce -notmatch '^[A-Za-z0-9]{16,64}$') { throw 'hvbc: invalid request nonce' }
$P = $HvbcIn.params
$HvbcNs = 'root\virtualization\v2'

function ConvertTo-HvbcJson($Value) {
    $json = ConvertTo-Json -InputObject $Value -Depth 32 -Compress
    # ASCII-only: the console code page of a redirected Windows PowerShell is not guaranteed to be UTF-8.
    [regex]::Replace($json, '[^\x00-\x7E]', { param($m) '\u{0:x4}' -f [int][char]$m.Value })
}
function Write-HvbcEnvelope($Envelope) {
    $text = ConvertTo-HvbcJson $Envelope
    Write-Output ('@@HVBC-BEGIN:' + $HvbcNonce)
    Write-Output $text
    Write-Output ('@@HVBC-END:' + $HvbcNonce)
}
function Write-HvbcProgress([string]$Phase, $Percent, [string]$Message, $Job) {
    $d = [ordered]@{ phase = $Phase; percent = $Percent; message = $Message; jobId = $null; jobState = $null }
    if ($null -ne $Job) { $d.jobId = [string]$Job.InstanceID; $d.jobState = [int]$Job.JobState }
    Write-Information -MessageData ('@@HVBC-PROGRESS:' + $HvbcNonce + ':' + (ConvertTo-HvbcJson $d)) -Tags 'hvbc-progress'
}
function Stop-Hvbc([string]$Code, [string]$Message, $Details) {
    $ex = New-Object System.Exception $Message
    $ex.Data['hvbcCode'] = $Code
    if ($null -ne $Details) { $ex.Data['hvbcDetails'] = $Details }
    throw $ex
}
function Get-HvbcErrorEnvelope($Err) {
    $ex = $Err.Exception
    $code = [string]$ex.Data['hvbcCode']
    $type = $ex.GetType().FullName
    if (-not $code) {
        $m = [string]$ex.Message
        if ($type -match 'UnauthorizedAccess' -or $m -match 'Access is denied|credential is invalid|logon failure') { $code = 'UNAUTHORIZED' }
        elseif ($type -match 'PSRemotingTransportException|CimJobException' -or $m -match 'WinRM cannot|RPC server is unavailable') { $code = 'HOST_UNREACHABLE' }
        elseif ($Err.FullyQualifiedErrorId -match 'ObjectNotFound|NotFound' -or $m -match 'unable to find|was not found|cannot find') { $code = 'NOT_FOUND' }
        else { $code = 'POWERSHELL_FAILED' }
    }
    @{ ok = $false; error = @{ code = $code; message = [string]$ex.Message; kind = $type; details = $ex.Data['hvbcDetails'] } }
}
function Get-HvbcIso($Value) {
    if ($null -eq $Value) { return $null }
    if ($Value -is [datetime]) { return $Value.ToUniversalTime().ToString('o') }
    return [string]$Value
}
function Get-HvbcGuid($Value, [string]$Field) {
    $g = [guid]::Empty
    if (-not [guid]::TryParse([string]$Value, [ref]$g)) { Stop-Hvbc 'VALIDATION' "$Field is not a GUID." }
    return $g.ToString()
}
function Get-HvbcVmCim([string]$VmGuid) {
    # WQL only ever sees a parsed GUID, never caller text.
    $cs = Get-CimInstance -Namespace $HvbcNs -ClassName Msvm_ComputerSystem -Filter ("Name='" + $VmGuid + "'")
    if ($null -eq $cs) { Stop-Hvbc 'NOT_FOUND' "No virtual machine with id $VmGuid on $env:COMPUTERNAME (it may have moved to another node)." }
    return $cs
}
function Get-HvbcSnapshotCim([string]$VmGuid, [string]$SnapGuid) {
    $sd = Get-CimInstance -Namespace $HvbcNs -ClassName Msvm_VirtualSystemSettingData -Filter ("InstanceID='Microsoft:" + $SnapGuid + "'")
    if ($null -eq $sd -or [string]$sd.VirtualSystemIdentifier -ne $VmGuid) { Stop-Hvbc 'NOT_FOUND' "Checkpoint $SnapGuid of VM $VmGuid was not found on $env:COMPUTERNAME." }
    return $sd
}
function ConvertTo-HvbcEmbedded($Instance) {
    # Embedded-instance text for WMI method arguments (hyperv-api.md 7.1, xHyper-VBackup).
    $ser = [Microsoft.Management.Infrastructure.Serialization.CimSerializer]::Create()
    [Text.Encoding]::Unicode.GetString($ser.Serialize($Instance, [Microsoft.Management.Infrastructure.Serialization.InstanceSerializationOptions]::None))
}
function ConvertTo-HvbcWmiPath($Instance) {
    # \\HOST\root\virtualization\v2:Class.Key1="v1",Key2="v2" from the key properties (hyperv-api.md 9.2).
    $cls = $Instance.CimClass
    $keys = @($cls.CimClassProperties | Where-Object { ($_.Flags -band [Microsoft.Management.Infrastructure.CimFlags]::Key) -ne 0 } | ForEach-Object {
        $_.Name + '="' + ([string]$Instance.($_.Name)).Replace('\', '\\').Replace('"', '\"') + '"' })
    '\\' + $Instance.CimSystemProperties.ServerName + '\' + $Instance.CimSystemProperties.Namespace.Replace('/', '\') + ':' + $cls.CimClassName + '.' + ($keys -join ',')
}
function Get-HvbcReturnText([string]$Class, [string]$Method, [int]$Code) {
    # Decode a WMI return value from the method's ValueMap/Values qualifiers (xHyper-VBackup approach, 7.6).
    try {
        $m = (Get-CimClass -Namespace $HvbcNs -ClassName $Class).CimClassMethods[$Method]
        $map = @($m.Qualifiers['ValueMap'].Value); $vals = @($m.Qualifiers['Values'].Value)
        $i = [array]::IndexOf($map, [string]$Code)
        if ($i -ge 0 -and $i -lt $vals.Count) { return [string]$vals[$i] }
    } catch { }
    return "return value $Code"
}
function Wait-HvbcJob($Result, [string]$Phase, [string]$FailCode, [string]$Class, [string]$Method) {
    # Msvm_ConcreteJob polling (hyperv-api.md 7.7); progress goes to the information stream, never the envelope.
    $rv = [int]$Result.ReturnValue
    if ($rv -eq 0) { return $null }
    if ($rv -ne 4096) { Stop-Hvbc $FailCode ("$Class.$Method failed: " + (Get-HvbcReturnText $Class $Method $rv) + " ($rv).") @{ returnValue = $rv } }
    $job = $Result.Job | Get-CimInstance
    $last = -1
    while ($job.JobState -in 2, 3, 4, 5, 6) {
        $pc = [int]$job.PercentComplete
        if ($pc -ne $last) { Write-HvbcProgress $Phase $pc ([string]$job.Caption) $job; $last = $pc }
        Start-Sleep -Milliseconds 500
        $job = $job | Get-CimInstance
    }
    Write-HvbcProgress $Phase 100 ([string]$job.Caption) $job
    if ($job.JobState -ne 7) {
        $desc = [string]$job.ErrorDescription
        if (-not $desc) { $desc = [string]$job.ErrorSummaryDescription }
        Stop-Hvbc $FailCode ("$Phase failed: job state $($job.JobState), error $($job.ErrorCode): $desc") @{ jobState = [int]$job.JobState; errorCode = [int]$job.ErrorCode; jobId = [string]$job.InstanceID }
    }
    return $job
}
function Get-HvbcChain([string]$Path) {
    # Walk a disk chain leaf -> base with Get-VHD (runs on the host that uses the disk, hyperv-api.md 1.2).
    $chain = @(); $seen = @{}; $p = $Path
    while ($p -and -not $seen.ContainsKey($p.ToLowerInvariant())) {
        $seen[$p.ToLowerInvariant()] = $true
        $v = Get-VHD -Path $p
        $parent = $null; if ($v.ParentPath) { $parent = [string]$v.ParentPath }
        $chain += [pscustomobject]@{ path = [string]$v.Path; vhdFormat = "$($v.VhdFormat)"; vhdType = "$($v.VhdType)"; size = $v.Size; fileSize = $v.FileSize; parentPath = $parent; diskIdentifier = [string]$v.DiskIdentifier }
        $p = $parent
    }
    return , $chain
}
function Get-HvbcDrives($Drives) {
    @($Drives | ForEach-Object {
        $d = $_; $chain = @(); $chainError = $null
        if ($d.Path -and $null -eq $d.DiskNumber) { try { $chain = Get-HvbcChain ([string]$d.Path) } catch { $chainError = $_.Exception.Message } }
        [pscustomobject]@{ id = [string]$d.Id; controllerType = "$($d.ControllerType)"; controllerNumber = $d.ControllerNumber; controllerLocation = $d.ControllerLocation
            path = [string]$d.Path; diskNumber = $d.DiskNumber; supportPersistentReservations = [bool]$d.SupportPersistentReservations; chain = $chain; chainError = $chainError }
    })
}
function Get-HvbcReferencePointData($Rp) {
    [pscustomobject]@{ instanceId = [string]$Rp.InstanceID; vmId = [string]$Rp.VirtualSystemIdentifier; referencePointType = $Rp.ReferencePointType
        consistencyLevel = $Rp.ConsistencyLevel; created = (Get-HvbcIso $Rp.CreationTime)
        virtualDiskIdentifiers = @($Rp.VirtualDiskIdentifiers | ForEach-Object { [string]$_ }); rctIds = @($Rp.ResilientChangeTrackingIdentifiers | ForEach-Object { [string]$_ }) }
}
#endregion hvbc-common
