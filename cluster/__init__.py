"""A local Apache Flink or Spark cluster that runs the pipeline's Beam jobs: fetched once from the
package registries, started as separate processes recorded by pid, stopped by those pids."""
