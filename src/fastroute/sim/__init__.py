"""The convergence simulator: BGP sessions, UPDATEs, timers and BIRD's work
over time after a cold start, a crash, a restart or a migration."""
