# The R runtime of Omnix: a warm Rscript that runs node after node (docs/languages.md).
#
# Reads one request per line on stdin (the typed exchange of
# omnix.agent.workers.child.external.exchange), evaluates the node's code in a fresh
# environment with its upstream outputs bound to their ids and `params`, and writes one
# reply line on the descriptor named by OMNIX_REPLY_FD. stdout and stderr are the node's log.

suppressPackageStartupMessages({
  library(jsonlite)
  library(bit64)
})
options(warn = 1, digits.secs = 6, stringsAsFactors = FALSE)

reply_fd <- Sys.getenv("OMNIX_REPLY_FD")
Sys.unsetenv("OMNIX_REPLY_FD")
replies <- file(paste0("/dev/fd/", reply_fd), open = "wb", raw = TRUE)
requests <- file("stdin", open = "r")

send <- function(text) {
  flush(stdout())
  flush(stderr())
  writeBin(charToRaw(paste0(enc2utf8(text), "\n")), replies)
  flush(replies)
}

INT32_MAX <- 2147483647
UNIT_PER_SECOND <- c(s = 1, ms = 1e3, us = 1e6, ns = 1e9)

as_vector <- function(values) {
  if (is.list(values)) {
    if (length(values) == 0) return(logical(0))
    values[vapply(values, is.null, NA)] <- NA
    values <- unlist(values, use.names = FALSE)
  }
  values
}

# ---- the exchange to R ---------------------------------------------------------------

decode_column <- function(column, nrows) {
  values <- as_vector(column$values)
  type <- column$type
  if (type == "int64") {
    text <- as.character(values)
    if (any(text == "-9223372036854775808", na.rm = TRUE)) {
      stop(sprintf(paste0(
        "column '%s' holds -9223372036854775808 (int64's minimum), which R's bit64 uses as NA; ",
        "it cannot reach R exactly: filter or cast it upstream"), column$name), call. = FALSE)
    }
    big <- as.integer64(text)
    if (all(is.na(big) | abs(big) <= INT32_MAX)) return(as.integer(big))
    return(big)
  }
  if (type == "float64") return(suppressWarnings(as.numeric(values)))
  if (type == "bool") return(as.logical(values))
  if (type == "string") return(as.character(values))
  if (type == "date") return(as.Date(as.numeric(values), origin = "1970-01-01"))
  if (type == "timestamp") {
    unit <- column$unit
    ticks <- as.integer64(as.character(values))
    per_us <- UNIT_PER_SECOND[[unit]] / 1e6
    if (per_us > 1 && any(!is.na(ticks) & ticks %% as.integer64(per_us) != 0)) {
      stop(sprintf(
        "column '%s' has timestamps finer than a microsecond, which R's POSIXct cannot hold exactly; round them upstream", column$name
      ), call. = FALSE)
    }
    seconds <- as.numeric(ticks) / UNIT_PER_SECOND[[unit]]
    zone <- if (is.null(column$tz)) "UTC" else column$tz
    return(as.POSIXct(seconds, origin = "1970-01-01", tz = zone))
  }
  if (type == "null") return(rep(NA, nrows))
  stop(sprintf("column '%s' has an unknown exchange type '%s'", column$name, type), call. = FALSE)
}

decode_table <- function(input) {
  columns <- lapply(input$columns, decode_column, nrows = input$nrows)
  names(columns) <- vapply(input$columns, function(c) c$name, "")
  structure(columns, class = "data.frame", row.names = .set_row_names(input$nrows))
}

# ---- R to the exchange ---------------------------------------------------------------

json_string <- function(x) as.character(toJSON(as.character(x), na = "null"))
json_scalar_string <- function(x) as.character(toJSON(x, auto_unbox = TRUE))

# 17 significant digits read back as the same double, always (the bridge parses them; it
# writes JSON outputs again in the shortest form).
exact_numbers <- function(x) sprintf("%.17g", x)

number_array <- function(x, quote = FALSE) {
  if (length(x) == 0) return("[]")  # paste0 would make one "" of nothing
  text <- exact_numbers(x)
  text[is.nan(x)] <- '"NaN"'
  text[is.infinite(x) & x > 0] <- '"Infinity"'
  text[is.infinite(x) & x < 0] <- '"-Infinity"'
  text[is.na(x) & !is.nan(x)] <- "null"
  paste0("[", paste(text, collapse = ","), "]")
}

quoted_array <- function(text) {
  if (length(text) == 0) return("[]")
  out <- paste0('"', text, '"')
  out[is.na(text)] <- "null"
  paste0("[", paste(out, collapse = ","), "]")
}

encode_column <- function(name, x) {
  head <- paste0('{"name":', json_scalar_string(name), ',"type":')
  if (inherits(x, "integer64")) {
    return(paste0(head, '"int64","values":', quoted_array(as.character(x)), "}"))
  }
  if (is.factor(x)) x <- as.character(x)
  if (inherits(x, "Date")) {
    days <- as.numeric(unclass(x))
    return(paste0(head, '"date","values":', number_array(floor(days)), "}"))
  }
  if (inherits(x, "POSIXct")) {
    micros <- round(as.numeric(unclass(x)) * 1e6)
    zone <- attr(x, "tzone")
    if (is.null(zone) || zone[[1]] == "") zone <- "UTC"
    text <- ifelse(is.na(micros), NA, sprintf("%.0f", micros))
    return(paste0(head, '"timestamp","unit":"us","tz":', json_scalar_string(zone[[1]]),
                  ',"values":', quoted_array(text), "}"))
  }
  if (is.logical(x)) {
    if (all(is.na(x))) return(paste0(head, '"null","values":', number_array(rep(NA_real_, length(x))), "}"))
    text <- ifelse(is.na(x), "null", ifelse(x, "true", "false"))
    return(paste0(head, '"bool","values":[', paste(text, collapse = ","), "]}"))
  }
  if (is.integer(x)) {
    return(paste0(head, '"int64","values":', quoted_array(as.character(x)), "}"))
  }
  if (is.double(x)) return(paste0(head, '"float64","values":', number_array(x), "}"))
  if (is.character(x)) return(paste0(head, '"string","values":', json_string(x), "}"))
  stop(sprintf(
    "column '%s' is of class %s, which a table cannot hold; convert it (e.g. with as.character or jsonlite::toJSON)",
    name, paste(class(x), collapse = "/")
  ), call. = FALSE)
}

encode_table <- function(frame) {
  columns <- mapply(encode_column, names(frame), frame, USE.NAMES = FALSE)
  paste0('{"ok":true,"kind":"table","nrows":', nrow(frame), ',"columns":[',
         paste(columns, collapse = ","), "]}")
}

# JSON of any other value: vectors of length one are scalars, named lists are objects.
encode_json <- function(x) {
  if (is.null(x)) return("null")
  if (is.data.frame(x)) {
    rows <- lapply(seq_len(nrow(x)), function(i) as.list(x[i, , drop = FALSE]))
    return(encode_json(rows))
  }
  if (is.list(x)) {
    items <- vapply(x, encode_json, "", USE.NAMES = FALSE)
    if (!is.null(names(x))) {
      keys <- vapply(names(x), json_scalar_string, "", USE.NAMES = FALSE)
      return(paste0("{", paste(keys, items, sep = ":", collapse = ","), "}"))
    }
    return(paste0("[", paste(items, collapse = ","), "]"))
  }
  if (is.factor(x)) x <- as.character(x)
  if (inherits(x, "integer64")) {
    text <- as.character(x)
    text[is.na(x)] <- "null"
  } else if (inherits(x, "Date") || inherits(x, "POSIXt")) {
    text <- vapply(format(x, if (inherits(x, "Date")) "%Y-%m-%d" else "%Y-%m-%dT%H:%M:%OS6%z"),
                   json_scalar_string, "", USE.NAMES = FALSE)
    text[is.na(x)] <- "null"
  } else if (is.logical(x)) {
    text <- ifelse(is.na(x), "null", ifelse(x, "true", "false"))
  } else if (is.numeric(x)) {
    if (any(is.nan(x) | is.infinite(x))) {
      stop("the output contains NaN or Inf, which JSON cannot hold; replace them (e.g. with NA) or return a data.frame", call. = FALSE)
    }
    text <- if (is.integer(x)) as.character(x) else exact_numbers(x)
    text[is.na(x)] <- "null"
  } else if (is.character(x)) {
    text <- vapply(x, json_scalar_string, "", USE.NAMES = FALSE)
    text[is.na(x)] <- "null"
  } else {
    stop(sprintf("the output is of class %s, which is neither a data.frame nor JSON",
                 paste(class(x), collapse = "/")), call. = FALSE)
  }
  if (!is.null(names(x))) {
    keys <- vapply(names(x), json_scalar_string, "", USE.NAMES = FALSE)
    return(paste0("{", paste(keys, text, sep = ":", collapse = ","), "}"))
  }
  if (length(text) == 1) return(text)
  paste0("[", paste(text, collapse = ","), "]")
}

encode_output <- function(value) {
  if (is.data.frame(value)) return(encode_table(value))
  paste0('{"ok":true,"kind":"json","value":', encode_json(value), "}")
}

failure <- function(message, traceback = "") {
  paste0('{"ok":false,"message":', json_scalar_string(message),
         ',"traceback":', json_scalar_string(traceback), "}")
}

# ---- running a node ------------------------------------------------------------------

node_line <- function(calls, file) {
  line <- NA_integer_
  for (call in calls) {
    ref <- attr(call, "srcref")
    if (!is.null(ref) && identical(attr(ref, "srcfile")$filename, file)) line <- ref[[1]]
  }
  line
}

with_scope <- function(request, body) {
  env <- request$env
  saved <- list()
  if (length(env) > 0) {
    saved <- Sys.getenv(names(env), unset = NA, names = TRUE)
    do.call(Sys.setenv, as.list(vapply(env, as.character, "")))
  }
  old_dir <- getwd()
  on.exit({
    setwd(old_dir)
    for (key in names(saved)) {
      if (is.na(saved[[key]])) Sys.unsetenv(key) else do.call(Sys.setenv, setNames(list(saved[[key]]), key))
    }
  })
  if (!is.null(request$workdir)) setwd(request$workdir)
  body()
}

run_node <- function(request) {
  file <- paste0(request$node, ".R")
  scope <- new.env(parent = globalenv())
  assign("params", fromJSON(request$params_json, simplifyVector = TRUE, bigint_as_char = TRUE),
         envir = scope)
  for (input in request$inputs) {
    value <- if (input$kind == "table") {
      decode_table(input)
    } else {
      fromJSON(input$value_json, simplifyVector = TRUE, bigint_as_char = TRUE)
    }
    assign(input$name, value, envir = scope)
  }
  exprs <- tryCatch(
    parse(text = request$code, keep.source = TRUE, srcfile = srcfilecopy(file, request$code)),
    error = function(e) e
  )
  if (inherits(exprs, "error")) {
    message <- conditionMessage(exprs)
    first <- strsplit(message, "\n", fixed = TRUE)[[1]][[1]]
    where <- regmatches(first, regexec("^[^:]*:(\\d+):(\\d+): (.*)$", first))[[1]]
    text <- if (length(where) == 4) paste0("line ", where[[2]], ": ", where[[4]]) else first
    return(failure(paste0("RParseError: ", text), message))
  }
  refs <- attr(exprs, "srcref")
  value <- NULL
  for (i in seq_along(exprs)) {
    line <- NA_integer_
    result <- tryCatch(
      withCallingHandlers(
        list(value = withVisible(eval(exprs[[i]], scope))$value),
        error = function(e) line <<- node_line(sys.calls(), file)
      ),
      error = function(e) e
    )
    flush(stdout())
    if (inherits(result, "error")) {
      if (is.na(line)) line <- refs[[i]][[1]]
      call <- conditionCall(result)
      text <- conditionMessage(result)
      trace <- if (is.null(call)) "" else paste0("in ", paste(deparse(call), collapse = " "))
      return(failure(paste0("Error: line ", line, ": ", text), trace))
    }
    value <- result$value
  }
  encoded <- tryCatch(encode_output(value), error = function(e) e)
  if (inherits(encoded, "error")) return(failure(paste0("OutputError: ", conditionMessage(encoded))))
  encoded
}

send("ready")
repeat {
  line <- readLines(requests, n = 1, encoding = "UTF-8")
  if (length(line) == 0) break
  request <- fromJSON(line, simplifyVector = TRUE, simplifyDataFrame = FALSE, simplifyMatrix = FALSE)
  reply <- tryCatch(with_scope(request, function() run_node(request)),
                    error = function(e) failure(paste0("Error: ", conditionMessage(e))))
  send(reply)
}
