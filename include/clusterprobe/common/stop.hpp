#pragma once
// A request to stop: SIGUSR1 (Slurm's warning before the time limit, e.g.
// --signal=B:USR1@300) or SIGTERM (preemption on clusters that send only
// that). Training stops at its next step, checkpointed so that it resumes
// exactly there, and the command exits 75 like at the wall-time limit.
namespace cp {

/// Installs the handlers (SA_RESTART: interrupted system calls go on).
void install_stop_signals();

/// Whether a stop was asked for (async-signal-safe flag).
bool stop_requested();

/// Asks for a stop as the signals do (tests).
void request_stop();

/// Local. Now, in seconds since the Unix epoch: the clock of wall-time
/// deadlines (parallel.max_hours, TrainOptions::deadline).
double wall_seconds();

}  // namespace cp
