# Get-HvbcEvents.ps1 - Hyper-V Backup Console (run only through $HvbcInvoke; see ../README.md)
# Hyper-V and cluster events since a time (hyperv-api.md 11.3). sinceMs is epoch milliseconds: an ISO string
# would be turned into a DateTime by PowerShell 7's ConvertFrom-Json.
param([Parameter(Mandatory = $true)][string]$InputB64)

#hvbc-include _Common.ps1   (the shared region, spliced in by script-library.ts when the console loads the scripts)

#region hvbc-events-collect v1 (identical in Get-HvbcEvents.ps1 and Export-HvbcInventory.ps1; a unit test checks)
# The logs and ids of hyperv-api.md 11.3 (10103 confirmed; the others from public monitoring scripts, [UNVERIFIED]).
$HvbcEventQueries = @(
    @{ LogName = 'Microsoft-Windows-Hyper-V-VMMS-Admin'; Id = @(10103, 19100, 14070, 19070, 19080, 19090) },
    @{ LogName = 'Microsoft-Windows-Hyper-V-Worker-Admin'; Id = @(4093) },
    @{ LogName = 'Microsoft-Windows-FailoverClustering-CsvFs/Operational'; Id = @(9296) },
    @{ LogName = 'System'; Id = @(5120, 5142); ProviderName = 'Microsoft-Windows-FailoverClustering' }
)
function Get-HvbcEventsData([string[]]$Computers, [datetime]$Since, [int]$MaxPerLog, $Warnings) {
    $out = New-Object System.Collections.Generic.List[object]
    foreach ($computer in $Computers) {
        $t = @{}; if ($computer -and $computer -ne $env:COMPUTERNAME) { $t = @{ ComputerName = $computer } }
        foreach ($q in $HvbcEventQueries) {
            $filter = @{} + $q; $filter['StartTime'] = $Since
            try { $found = @(Get-WinEvent -FilterHashtable $filter -MaxEvents $MaxPerLog @t -ErrorAction Stop) }
            catch {
                if ($_.FullyQualifiedErrorId -notmatch 'NoMatchingEventsFound') { $Warnings.Add("$($q.LogName) on ${computer}: " + $_.Exception.Message) }
                continue
            }
            foreach ($e in $found) {
                $vmId = $null; $vmName = $null
                try {
                    $x = [xml]$e.ToXml()
                    $n1 = $x.SelectSingleNode("//*[local-name()='VmId' or local-name()='VirtualMachineId' or (local-name()='Data' and (@Name='VmId' or @Name='VirtualMachineId'))]")
                    $n2 = $x.SelectSingleNode("//*[local-name()='VmName' or local-name()='VirtualMachineName' or (local-name()='Data' and (@Name='VmName' or @Name='VirtualMachineName'))]")
                    if ($n1) { $vmId = [string]$n1.InnerText }; if ($n2) { $vmName = [string]$n2.InnerText }
                } catch { }
                $out.Add([pscustomobject]@{ computer = [string]$e.MachineName; log = [string]$e.LogName; recordId = [long]$e.RecordId; id = [int]$e.Id
                    time = $e.TimeCreated.ToUniversalTime().ToString('o'); level = [int]$e.Level; provider = [string]$e.ProviderName; message = [string]$e.Message; vmId = $vmId; vmName = $vmName })
            }
        }
    }
    return , $out.ToArray()
}
#endregion hvbc-events-collect
try {
    $since = [DateTimeOffset]::FromUnixTimeMilliseconds([long]$P.sinceMs).UtcDateTime
    $computers = @($P.computerNames | ForEach-Object { [string]$_ })
    if ($computers.Count -eq 0) { $computers = @([string]$env:COMPUTERNAME) }
    $max = 500; if ($P.maxPerLog) { $max = [int]$P.maxPerLog }
    $warnings = New-Object System.Collections.Generic.List[string]
    $events = Get-HvbcEventsData $computers $since $max $warnings
    Write-HvbcEnvelope @{ ok = $true; data = @{ events = @($events); warnings = @($warnings.ToArray()) } }
} catch {
    Write-HvbcEnvelope (Get-HvbcErrorEnvelope $_)
}
