// The Scala runtime of Omnix: a warm JVM that compiles each node once and runs it many times.
//
// Reads one request per line on stdin (the typed exchange, docs/languages.md), compiles the
// node's code (cached on disk under the hash of its code and inputs, so an unchanged node is
// only loaded) and runs it with its upstream outputs bound to their ids and `params`; writes
// one reply line on the descriptor named by OMNIX_REPLY_FD. stdout and stderr are the log.
package omnix.scalanode

import java.io.{BufferedReader, File, FileOutputStream, InputStreamReader, PrintWriter, StringWriter}
import java.net.URLClassLoader
import java.nio.charset.StandardCharsets.UTF_8
import java.security.MessageDigest
import java.time.{Instant, LocalDate, LocalDateTime, ZoneId, ZoneOffset, ZonedDateTime}

import scala.collection.immutable.ListMap
import scala.collection.mutable.ArrayBuffer
import scala.reflect.internal.util.BatchSourceFile
import scala.tools.nsc.{Global, Settings}
import scala.tools.nsc.reporters.StoreReporter

/** What a compiled node is: `run` returns the node's output. */
trait NodeCode {
  def run(inputs: Map[String, Any], params: Map[String, Any]): Any
}

final class ExchangeError(message: String) extends Exception(message)

/** JSON: objects as ListMap (key order kept), integers as Long, other numbers as Double. */
object Json {
  def parse(text: String): Any = {
    val parser = new Parser(text)
    val value = parser.value()
    parser.end()
    value
  }

  private final class Parser(s: String) {
    private var i = 0
    private def skip(): Unit = while (i < s.length && " \t\r\n".indexOf(s.charAt(i)) >= 0) i += 1
    def end(): Unit = { skip(); if (i != s.length) fail("trailing text") }
    private def fail(what: String): Nothing = throw new ExchangeError(s"bad JSON at $i: $what")
    def value(): Any = {
      skip()
      if (i >= s.length) fail("unexpected end")
      s.charAt(i) match {
        case '{' =>
          i += 1; skip()
          val pairs = ArrayBuffer.empty[(String, Any)]
          if (s.charAt(i) == '}') { i += 1 } else {
            var more = true
            while (more) {
              skip(); val key = string(); skip()
              if (s.charAt(i) != ':') fail("expected ':'")
              i += 1
              pairs += key -> value()
              skip()
              s.charAt(i) match {
                case ',' => i += 1
                case '}' => i += 1; more = false
                case _ => fail("expected ',' or '}'")
              }
            }
          }
          ListMap(pairs: _*)
        case '[' =>
          i += 1; skip()
          val items = ArrayBuffer.empty[Any]
          if (s.charAt(i) == ']') { i += 1 } else {
            var more = true
            while (more) {
              items += value(); skip()
              s.charAt(i) match {
                case ',' => i += 1
                case ']' => i += 1; more = false
                case _ => fail("expected ',' or ']'")
              }
            }
          }
          items.toVector
        case '"' => string()
        case 't' => word("true", true)
        case 'f' => word("false", false)
        case 'n' => word("null", null)
        case _ => number()
      }
    }
    private def word(w: String, v: Any): Any = {
      if (!s.startsWith(w, i)) fail(s"expected $w")
      i += w.length; v
    }
    private def number(): Any = {
      val start = i
      while (i < s.length && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) i += 1
      val text = s.substring(start, i)
      if (text.isEmpty) fail("unexpected character")
      if (text.exists(c => c == '.' || c == 'e' || c == 'E')) text.toDouble
      else {
        val big = BigInt(text)
        if (big.isValidLong) big.toLong else big
      }
    }
    def string(): String = {
      if (s.charAt(i) != '"') fail("expected a string")
      i += 1
      val out = new java.lang.StringBuilder
      while (s.charAt(i) != '"') {
        val c = s.charAt(i)
        if (c == '\\') {
          i += 1
          s.charAt(i) match {
            case 'n' => out.append('\n'); case 't' => out.append('\t'); case 'r' => out.append('\r')
            case 'b' => out.append('\b'); case 'f' => out.append('\f')
            case 'u' => out.append(Integer.parseInt(s.substring(i + 1, i + 5), 16).toChar); i += 4
            case other => out.append(other)
          }
        } else out.append(c)
        i += 1
      }
      i += 1
      out.toString
    }
  }

  def quote(text: String, out: java.lang.StringBuilder): Unit = {
    out.append('"')
    var i = 0
    while (i < text.length) {
      val c = text.charAt(i)
      c match {
        case '"' => out.append("\\\""); case '\\' => out.append("\\\\")
        case '\n' => out.append("\\n"); case '\r' => out.append("\\r"); case '\t' => out.append("\\t")
        case _ if c < ' ' => out.append("\\u%04x".format(c.toInt))
        case _ => out.append(c)
      }
      i += 1
    }
    out.append('"')
  }

  def write(value: Any, out: java.lang.StringBuilder): Unit = value match {
    case null | None | () => out.append("null")
    case Some(v) => write(v, out)
    case s: String => quote(s, out)
    case b: Boolean => out.append(b)
    case n @ (_: Int | _: Long | _: Short | _: Byte) => out.append(n.toString)
    case n: BigInt => out.append(n.toString)
    case n: BigDecimal => out.append(n.toString)
    case d: Double => finite(d); out.append(Exchange.shortest(d))
    case f: Float => finite(f.toDouble); out.append(Exchange.shortest(f.toDouble))
    case c: Char => quote(c.toString, out)
    case m: scala.collection.Map[_, _] =>
      out.append('{')
      var first = true
      for ((k, v) <- m) {
        if (!first) out.append(','); first = false
        quote(k.toString, out); out.append(':'); write(v, out)
      }
      out.append('}')
    case items: TraversableOnce[_] =>
      out.append('[')
      var first = true
      for (v <- items) { if (!first) out.append(','); first = false; write(v, out) }
      out.append(']')
    case a: Array[_] => write(a.toSeq, out)
    case t @ (_: LocalDate | _: LocalDateTime | _: Instant | _: ZonedDateTime) => quote(t.toString, out)
    case other => throw new ExchangeError(
      s"the output holds a ${other.getClass.getName}, which is neither a table nor JSON")
  }

  private def finite(d: Double): Unit =
    if (d.isNaN || d.isInfinite) throw new ExchangeError(
      "the output contains NaN or Infinity, which JSON cannot hold; replace them or return a table")
}

/** The typed exchange: tables as columns of exactly encoded values. */
object Exchange {
  type Row = Map[String, Any]

  def shortest(d: Double): String = {
    val text = java.lang.Double.toString(d) // shortest digits that read back as d
    if (text.endsWith(".0")) text.dropRight(2) else text
  }

  private val perSecond = Map("s" -> 1L, "ms" -> 1000L, "us" -> 1000000L, "ns" -> 1000000000L)

  private def decode(kind: String, column: Map[String, Any], raw: Any): Any = (kind, raw) match {
    case (_, null) => null
    case ("int64", v) => v.toString.toLong
    case ("float64", v: String) => v match {
      case "NaN" => Double.NaN; case "Infinity" => Double.PositiveInfinity
      case "-Infinity" => Double.NegativeInfinity; case other => other.toDouble
    }
    case ("float64", v: Long) => v.toDouble
    case ("float64", v: Double) => v
    case ("bool", v: Boolean) => v
    case ("string", v: String) => v
    case ("date", v: Long) => LocalDate.ofEpochDay(v)
    case ("timestamp", v) =>
      val ticks = v.toString.toLong
      val per = perSecond(column("unit").toString)
      val seconds = Math.floorDiv(ticks, per)
      val nanos = Math.floorMod(ticks, per) * (1000000000L / per)
      val instant = Instant.ofEpochSecond(seconds, nanos)
      column.get("tz") match {
        case Some(zone: String) => ZonedDateTime.ofInstant(instant, ZoneId.of(zone))
        case _ => LocalDateTime.ofInstant(instant, ZoneOffset.UTC)
      }
    case ("null", _) => null
    case (k, v) => throw new ExchangeError(s"a $k column holds $v")
  }

  def table(input: Map[String, Any]): (Vector[Row], Seq[String]) = {
    val nrows = input("nrows").asInstanceOf[Long].toInt
    val columns = input("columns").asInstanceOf[Vector[Map[String, Any]]]
    val names = columns.map(_("name").toString)
    val decoded = columns.map { column =>
      val kind = column("type").toString
      column("values").asInstanceOf[Vector[Any]].map(decode(kind, column, _))
    }
    val rows = Vector.tabulate(nrows) { r =>
      val builder = ListMap.newBuilder[String, Any]
      var c = 0
      while (c < names.length) { builder += names(c) -> decoded(c)(r); c += 1 }
      builder.result(): Row
    }
    (rows, names)
  }

  private def kindOf(value: Any): String = value match {
    case null | None => ""
    case Some(v) => kindOf(v)
    case _: Int | _: Long | _: Short | _: Byte => "int64"
    case b: BigInt => if (b.isValidLong) "int64" else throw new ExchangeError(s"$b is beyond int64's range")
    case _: Double | _: Float => "float64"
    case _: Boolean => "bool"
    case _: String | _: Char => "string"
    case _: LocalDate => "date"
    case _: LocalDateTime => "timestamp-naive"
    case _: Instant => "timestamp-UTC"
    case z: ZonedDateTime => "timestamp-" + z.getZone.getId
    case other => throw new ExchangeError(
      s"a ${other.getClass.getName} cannot be a table value (use Long, Double, Boolean, String, LocalDate, LocalDateTime, Instant or null)")
  }

  private def ticks(instant: Instant, unit: String): String =
    if (unit == "ns") (BigInt(instant.getEpochSecond) * 1000000000L + instant.getNano).toString
    else (BigInt(instant.getEpochSecond) * 1000000L + instant.getNano / 1000).toString

  private def instantOf(value: Any): Option[Instant] = value match {
    case t: LocalDateTime => Some(t.toInstant(ZoneOffset.UTC))
    case t: Instant => Some(t)
    case t: ZonedDateTime => Some(t.toInstant)
    case Some(v) => instantOf(v)
    case _ => None
  }

  private def encode(kind: String, value: Any, out: java.lang.StringBuilder): Unit = value match {
    case null | None => out.append("null")
    case Some(v) => encode(kind, v, out)
    case _ => kind match {
      case "int64" => out.append('"').append(value match {
        case b: BigInt => b.toString; case n => n.toString
      }).append('"')
      case "float64" =>
        val d = value match { case f: Float => f.toDouble; case d: Double => d }
        if (d.isNaN) out.append("\"NaN\"")
        else if (d.isInfinite) out.append(if (d > 0) "\"Infinity\"" else "\"-Infinity\"")
        else out.append(shortest(d))
      case "bool" => out.append(value.toString)
      case "string" => Json.quote(value.toString, out)
      case "date" => out.append(value.asInstanceOf[LocalDate].toEpochDay)
      case unit => out.append('"').append(ticks(instantOf(value).get, unit)).append('"')
    }
  }

  def isTable(value: Any): Boolean = value match {
    case rows: Seq[_] => rows.nonEmpty && rows.forall(_.isInstanceOf[scala.collection.Map[_, _]])
    case _ => false
  }

  def writeTable(value: Any, upstream: Seq[String], out: java.lang.StringBuilder): Unit = {
    val rows = value.asInstanceOf[Seq[scala.collection.Map[Any, Any]]].toVector
    val seen = scala.collection.mutable.LinkedHashSet.empty[String]
    for (row <- rows; key <- row.keys) seen += key.toString
    val names = upstream.filter(seen.contains).distinct ++ seen.filterNot(upstream.contains)
    out.append("{\"ok\":true,\"kind\":\"table\",\"nrows\":").append(rows.length).append(",\"columns\":[")
    var first = true
    for (name <- names) {
      var kind = ""
      var at = -1
      for ((row, r) <- rows.zipWithIndex) {
        val k = try kindOf(row.getOrElse(name, null)) catch {
          case e: ExchangeError => throw new ExchangeError(s"column '$name', row $r: ${e.getMessage}")
        }
        if (k.nonEmpty) {
          if (kind.isEmpty) { kind = k; at = r }
          else if (k != kind) throw new ExchangeError(
            s"column '$name' mixes $kind (row $at) and $k (row $r); convert the values to one type")
        }
      }
      if (!first) out.append(','); first = false
      out.append("{\"name\":"); Json.quote(name, out)
      val base = if (kind.isEmpty) "null" else kind.takeWhile(_ != '-')
      out.append(",\"type\":\"").append(base).append('"')
      // Microseconds (a range of ±290,000 years) unless a value has finer digits.
      val unit = if (rows.exists(row => instantOf(row.getOrElse(name, null)).exists(_.getNano % 1000 != 0))) "ns" else "us"
      if (base == "timestamp") {
        out.append(",\"unit\":\"").append(unit).append("\",\"tz\":")
        val zone = kind.drop("timestamp-".length)
        if (zone == "naive") out.append("null") else Json.quote(zone, out)
      }
      out.append(",\"values\":[")
      var r = 0
      while (r < rows.length) {
        if (r > 0) out.append(',')
        encode(if (base == "timestamp") unit else base, rows(r).getOrElse(name, null), out)
        r += 1
      }
      out.append("]}")
    }
    out.append("]}")
  }
}

/** Compiles node code into classes under the cache, once per hash. */
final class Compiler(cache: File, classpath: String) {
  private val settings = new Settings(message => System.err.println(message))
  settings.classpath.value = classpath
  settings.nowarn.value = true
  private val reporter = new StoreReporter
  private lazy val global = new Global(settings, reporter)
  private val loaded = scala.collection.mutable.Map.empty[String, NodeCode]

  private def ident(name: String): String = s"`$name`"

  /** The node compiled and loaded, or Left(message, detail) for a compile error. */
  def load(node: String, code: String, inputs: Seq[(String, String)]): Either[(String, String), NodeCode] = {
    val bindings = inputs.map { case (name, kind) =>
      if (kind == "table") s"  val ${ident(name)}: Seq[Map[String, Any]] = inputs(${quoteName(name)}).asInstanceOf[Seq[Map[String, Any]]];"
      else s"  val ${ident(name)}: Any = inputs(${quoteName(name)});"
    }
    val head = Seq(
      "package omnixnode",
      "import scala.collection.immutable.ListMap",
      "import java.time.{Instant, LocalDate, LocalDateTime, ZonedDateTime}",
      "object NODE extends omnix.scalanode.NodeCode {",
      "  def run(inputs: Map[String, Any], params: Map[String, Any]): Any = {") ++ bindings
    val source = (head :+ "({" :+ code :+ "})" :+ "  }" :+ "}").mkString("\n")
    val offset = head.length + 1
    val digest = MessageDigest.getInstance("SHA-256").digest(source.getBytes(UTF_8))
      .take(16).map("%02x".format(_)).mkString
    val className = s"omnixnode.N$digest"
    loaded.get(digest) match {
      case Some(code) => return Right(code)
      case None =>
    }
    val named = source.replace("object NODE ", s"object N$digest ")
    val dir = new File(cache, digest)
    val marker = new File(dir, ".done")
    if (!marker.exists) {
      dir.mkdirs()
      settings.outputDirs.setSingleOutput(dir.getPath)
      reporter.reset()
      val run = new global.Run
      run.compileSources(List(new BatchSourceFile(s"$node.scala", named)))
      if (reporter.hasErrors) {
        val errors = reporter.infos.toSeq.filter(_.severity == reporter.ERROR).map { info =>
          val line = if (info.pos.isDefined) info.pos.line - offset else 0
          (line, info.msg.split("\n").map(_.trim).filter(_.nonEmpty).mkString(" "))
        }
        val detail = errors.map { case (line, msg) => s"$node.scala:$line: $msg" }.mkString("\n")
        val (line, msg) = errors.head
        return Left((s"ScalaCompileError: line $line: $msg", detail))
      }
      marker.createNewFile()
    }
    val loader = new URLClassLoader(Array(dir.toURI.toURL), getClass.getClassLoader)
    val module = loader.loadClass(className + "$").getField("MODULE$").get(null).asInstanceOf[NodeCode]
    loaded(digest) = module
    Right(module)
  }

  private def quoteName(name: String): String = {
    val out = new java.lang.StringBuilder
    Json.quote(name, out)
    out.toString
  }
}

object Worker {
  private def failure(message: String, traceback: String = ""): String = {
    val out = new java.lang.StringBuilder("{\"ok\":false,\"message\":")
    Json.quote(message, out); out.append(",\"traceback\":"); Json.quote(traceback, out); out.append('}')
    out.toString
  }

  private def userTrace(error: Throwable, node: String, offset: Int): (Option[Int], String) = {
    val frames = error.getStackTrace.filter(_.getFileName == s"$node.scala")
    val lines = frames.map(_.getLineNumber - offset)
    val text = new StringWriter
    error.printStackTrace(new PrintWriter(text))
    val file = java.util.regex.Pattern.quote(s"$node.scala")
    val mapped = s"\\($file:(\\d+)\\)".r.replaceAllIn(text.toString, m =>
      java.util.regex.Matcher.quoteReplacement(s"($node.scala:${m.group(1).toInt - offset})"))
    (lines.headOption, mapped)
  }

  def handle(line: String, compiler: Compiler): String = {
    val request = Json.parse(line).asInstanceOf[Map[String, Any]]
    val node = request("node").toString
    val inputs = request("inputs").asInstanceOf[Vector[Map[String, Any]]]
    val params = request.getOrElse("params", ListMap.empty).asInstanceOf[Map[String, Any]]
    val values = ListMap.newBuilder[String, Any]
    val upstream = ArrayBuffer.empty[String]
    for (input <- inputs) {
      val name = input("name").toString
      if (input("kind") == "table") {
        val (rows, names) = Exchange.table(input)
        values += name -> rows
        upstream ++= names
      } else values += name -> input.getOrElse("value", null)
    }
    val kinds = inputs.map(i => (i("name").toString, i("kind").toString))
    compiler.load(node, request("code").toString, kinds) match {
      case Left((message, detail)) => failure(message, detail)
      case Right(code) =>
        val offset = 5 + kinds.length + 1
        val result = try Right(code.run(values.result(), params)) catch {
          case e: Throwable =>
            val cause = e match {
              case e: java.lang.reflect.InvocationTargetException if e.getCause != null => e.getCause
              case other => other
            }
            val (at, trace) = userTrace(cause, node, offset)
            val where = at.map(l => s"line $l: ").getOrElse("")
            Left(failure(s"${cause.getClass.getName}: $where${cause.getMessage}", trace))
        }
        result match {
          case Left(reply) => reply
          case Right(value) =>
            Console.out.flush()
            val out = new java.lang.StringBuilder
            try {
              if (Exchange.isTable(value)) Exchange.writeTable(value, upstream, out)
              else { out.append("{\"ok\":true,\"kind\":\"json\",\"value\":"); Json.write(value, out); out.append('}') }
              out.toString
            } catch {
              case e: ExchangeError => failure(s"ExchangeError: the output: ${e.getMessage}")
            }
        }
    }
  }

  def main(args: Array[String]): Unit = {
    val replies = new FileOutputStream(s"/dev/fd/${System.getenv("OMNIX_REPLY_FD")}")
    val cache = new File(args(0))
    val compiler = new Compiler(cache, System.getProperty("java.class.path"))
    def send(text: String): Unit = {
      System.out.flush(); System.err.flush()
      replies.write((text + "\n").getBytes(UTF_8)); replies.flush()
    }
    val requests = new BufferedReader(new InputStreamReader(System.in, UTF_8))
    send("ready")
    var line = requests.readLine()
    while (line != null) {
      val reply = try handle(line, compiler) catch {
        case e: ExchangeError => failure(s"ExchangeError: ${e.getMessage}")
        case e: Throwable =>
          val text = new StringWriter; e.printStackTrace(new PrintWriter(text))
          failure(s"the Scala worker failed: $e", text.toString)
      }
      send(reply)
      line = requests.readLine()
    }
  }
}
