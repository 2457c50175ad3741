"""Living under systemd: sd_notify (READY, STATUS, WATCHDOG, STOPPING, RELOADING) and log
lines journald reads priorities from; both do the right thing outside systemd too."""
