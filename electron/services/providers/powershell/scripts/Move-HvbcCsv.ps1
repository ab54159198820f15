# Move-HvbcCsv.ps1 - Hyper-V Backup Console (run only through $HvbcInvoke; see ../README.md)
# Moves CSV ownership (coordinator) to another node (Move-ClusterSharedVolume, hyperv-api.md 4.1, 4.4).
# CSV and node are matched client-side against the cluster's own lists.
param([Parameter(Mandatory = $true)][string]$InputB64)

#hvbc-include _Common.ps1   (the shared region, spliced in by script-library.ts when the console loads the scripts)

try {
    $want = [string]$P.csvId
    $csv = @(Get-ClusterSharedVolume | Where-Object { [string]$_.Id -eq $want -or [string]$_.Name -eq $want })[0]
    if ($null -eq $csv) { Stop-Hvbc 'NOT_FOUND' "Cluster shared volume $want was not found." }
    $node = @(Get-ClusterNode | Where-Object { [string]$_.Name -eq [string]$P.node })[0]
    if ($null -eq $node) { Stop-Hvbc 'NOT_FOUND' "Cluster node $($P.node) was not found." }
    if ("$($node.State)" -ne 'Up') { Stop-Hvbc 'CONFLICT' "Node $($node.Name) is $($node.State); CSV ownership can only move to a node that is Up." }
    Write-HvbcProgress 'csv-move' 0 ("Moving " + $csv.Name + " to " + $node.Name) $null
    $moved = Move-ClusterSharedVolume -InputObject $csv -Node $node.Name
    $owner = "$($moved.OwnerNode)"; if (-not $owner) { $owner = "$((Get-ClusterSharedVolume -Name $csv.Name).OwnerNode)" }
    Write-HvbcEnvelope @{ ok = $true; data = @{ csvId = [string]$csv.Id; name = [string]$csv.Name; ownerNode = $owner } }
} catch {
    $e = Get-HvbcErrorEnvelope $_
    if ($e.error.code -eq 'POWERSHELL_FAILED') { $e.error.code = 'CSV_BUSY' }
    Write-HvbcEnvelope $e
}
