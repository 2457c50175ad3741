"""Thin gRPC servicers, one module per `omnix.v1` service: translate, delegate, map errors."""
