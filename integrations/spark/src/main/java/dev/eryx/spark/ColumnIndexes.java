package dev.eryx.spark;

import java.io.Serializable;

/** Where the configured columns sit in the input rows; -1 for a column not configured. */
record ColumnIndexes(int code, int test, int expectedOutput, int timeout, int fuel)
        implements Serializable {}
