"""Training callbacks: backups that survive a kill, and a time budget."""

from keras_seq.callbacks.backup_and_restore import BackupAndRestore
from keras_seq.callbacks.time_budget import TimeBudget

__all__ = ["BackupAndRestore", "TimeBudget"]
