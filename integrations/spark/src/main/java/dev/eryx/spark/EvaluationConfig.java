package dev.eryx.spark;

import java.io.Serializable;

/**
 * What a {@link PythonEvaluation} was configured with, as it travels to the executors.
 *
 * @param packagesSha256 the shipped packages' digest, or null without packages
 * @param poolSize sandboxes per executor, or 0 for the executor's own sizing
 */
record EvaluationConfig(
        String codeColumn,
        String testColumn,
        String expectedOutputColumn,
        String timeoutColumn,
        String fuelColumn,
        LimitsSpec limits,
        String packagesSha256,
        int poolSize)
        implements Serializable {}
