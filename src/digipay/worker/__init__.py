"""Worker: the one background process (`digipay worker`) and the periodic-job registry.

Each iteration of the worker writes its heartbeat, runs the periodic jobs whose slot is due
(each job at most once per slot across all workers, claimed by inserting a ``JobRun`` row under
a unique constraint) and then a bounded batch of queued django-tasks through the database
backend of django-tasks-db (rows claimed with ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL).
See docs/adr/0012-worker-and-notifications.md.

Apps register their jobs in ``AppConfig.ready()`` with ``registry.periodic``. This app sits just
above ``core`` and may import only ``core``: it knows jobs as callables, never the apps that own
them.
"""
