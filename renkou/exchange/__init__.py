"""Department exchange (部门信息交换): roster kinds, reading, staging, quarantine, worklist."""
