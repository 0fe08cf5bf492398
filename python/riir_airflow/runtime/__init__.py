"""Running task tries: context, XCom, templating at run time, and the local (no database) DAG runner."""
