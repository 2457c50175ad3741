"""The Scala adapter: a warm JVM (Worker.scala) that compiles each node once, tables as Seq[Map[String, Any]]."""
