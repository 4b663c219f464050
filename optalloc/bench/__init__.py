"""Suites x methods: the runner (local pool or Dask), the regression check and the reports.

    from optalloc.bench import bench, check, resolve, write_report
    run = bench(resolve(["wt40"]), ["tardiness.dp", "tardiness.mddc"], options={"time_limit": 10},
                output="runs/wt40.parquet", jobs=2)
    print(check(run.rows).render())"""
from optalloc.bench.check import CheckReport, check
from optalloc.bench.report import write_report
from optalloc.bench.runner import ROW_COLUMNS, BenchError, Task, bench, make_tasks, read_rows, run_task
from optalloc.bench.suites import Suite, SuiteError, load_manifest, resolve

__all__ = ["CheckReport", "check", "write_report", "ROW_COLUMNS", "BenchError", "Task", "bench", "make_tasks",
           "read_rows", "run_task", "Suite", "SuiteError", "load_manifest", "resolve"]
