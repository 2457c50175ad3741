"""The R adapter: a warm Rscript (worker.R) per worker, tables as data.frames."""
