# Stop-HvbcJob.ps1 - Hyper-V Backup Console (run only through $HvbcInvoke; see ../README.md)
# Asks Hyper-V to terminate a running Msvm_ConcreteJob (RequestStateChange 4 = Terminate) after the console
# canceled the task that waited on it. Whether every job type honours it is [UNVERIFIED]; Cancellable is checked.
param([Parameter(Mandatory = $true)][string]$InputB64)

#hvbc-include _Common.ps1   (the shared region, spliced in by script-library.ts when the console loads the scripts)

try {
    $want = [string]$P.jobId
    $job = @(Get-CimInstance -Namespace $HvbcNs -ClassName Msvm_ConcreteJob | Where-Object { [string]$_.InstanceID -eq $want })[0]
    if ($null -eq $job) {
        Write-HvbcEnvelope @{ ok = $true; data = @{ requested = $false; reason = 'The job no longer exists (finished jobs are removed after a few minutes).'; returnValue = $null } }
    } elseif (-not $job.Cancellable) {
        Write-HvbcEnvelope @{ ok = $true; data = @{ requested = $false; reason = 'Hyper-V reports this job as not cancellable.'; returnValue = $null } }
    } else {
        $r = Invoke-CimMethod -InputObject $job -MethodName RequestStateChange -Arguments @{ RequestedState = [uint16]4 }
        Write-HvbcEnvelope @{ ok = $true; data = @{ requested = ([int]$r.ReturnValue -in 0, 4096); reason = $null; returnValue = [int]$r.ReturnValue } }
    }
} catch {
    Write-HvbcEnvelope (Get-HvbcErrorEnvelope $_)
}
