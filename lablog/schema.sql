-- The dataengine lab log, schema version 1.
-- schema_version: 1
--
-- Table and column names are documented for users and fixed; a change bumps the version above and adds
-- the statements that upgrade the previous version to lablog/schema.py's MIGRATIONS.
-- Times are TIMESTAMP in UTC. JSON values (config, package_versions, json params) are VARCHAR holding
-- JSON text, so the file needs no extension: json_extract(config, '$.lr') works on them.

CREATE TABLE IF NOT EXISTS lablog_meta (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS experiments (
    experiment VARCHAR PRIMARY KEY,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS runs (
    run_id           VARCHAR PRIMARY KEY,   -- 32 hex digits
    experiment       VARCHAR NOT NULL,
    name             VARCHAR NOT NULL,
    parent_run_id    VARCHAR,               -- e.g. the training run of k-fold children
    status           VARCHAR NOT NULL,      -- running, finished, failed, killed
    start_time       TIMESTAMP NOT NULL,
    end_time         TIMESTAMP,
    heartbeat        TIMESTAMP,             -- last time the run's process wrote
    command_line     VARCHAR,
    config           VARCHAR,               -- resolved config as JSON
    git_commit       VARCHAR,               -- commit of the working tree, "-dirty" if modified
    package_versions VARCHAR,               -- JSON object {package: version}
    host             VARCHAR,
    pid              BIGINT,
    seed             BIGINT,
    error            VARCHAR                -- why a run failed or was killed
);

CREATE TABLE IF NOT EXISTS params (
    run_id    VARCHAR NOT NULL,
    key       VARCHAR NOT NULL,
    type      VARCHAR NOT NULL,             -- bool, int, float, str, json, null
    value     VARCHAR,                      -- text: the string itself, a JSON number/true/false, or JSON
    value_num DOUBLE,                       -- the number for bool, int and float params
    PRIMARY KEY (run_id, key)
);

CREATE TABLE IF NOT EXISTS metrics (
    run_id    VARCHAR NOT NULL,
    key       VARCHAR NOT NULL,
    step      BIGINT NOT NULL,
    epoch     BIGINT,
    value     DOUBLE NOT NULL,              -- NaN and +-inf are kept
    timestamp TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS tags (
    run_id VARCHAR NOT NULL,
    key    VARCHAR NOT NULL,
    value  VARCHAR NOT NULL,
    PRIMARY KEY (run_id, key)
);

CREATE TABLE IF NOT EXISTS artifacts (
    run_id     VARCHAR NOT NULL,
    name       VARCHAR NOT NULL,            -- the name in lablog:<run_id>/<name>
    kind       VARCHAR NOT NULL,            -- file, image, tensor, model
    path       VARCHAR NOT NULL,            -- relative to the artifact folder
    bytes      BIGINT NOT NULL,
    sha256     VARCHAR NOT NULL,
    shape      BIGINT[],                    -- tensors and images
    dtype      VARCHAR,                     -- tensors and images
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (run_id, name)
);

-- Internal: how much of each running run's journal is already in the tables.
CREATE TABLE IF NOT EXISTS lablog_journal (
    run_id       VARCHAR PRIMARY KEY,
    merged_bytes BIGINT NOT NULL
);

-- Latest value of each metric per run (highest step, then latest time), with its range and count.
-- The order key packs (step, time in µs) into one HUGEINT: arg_max over it is ~4x faster than over a struct.
CREATE OR REPLACE VIEW latest_metrics AS
SELECT run_id,
       key,
       arg_max(value, o)  AS value,
       max(step)          AS step,
       arg_max(epoch, o)  AS epoch,
       max(timestamp)     AS timestamp,
       min(value)         AS min_value,
       max(value)         AS max_value,
       count(*)           AS n_points
FROM (SELECT *, step::HUGEINT * 18446744073709551616 + epoch_us(timestamp) AS o FROM metrics)
GROUP BY run_id, key;

-- Runs with their params as columns. Recreated whenever a new param key appears (lablog/views.py);
-- this is its form before any param exists.
CREATE OR REPLACE VIEW runs_with_params AS
SELECT run_id, experiment, name, parent_run_id, status, start_time, end_time
FROM runs;
