-- pgbench custom script: one single-row insert per transaction, the database-only counterpart
-- of S4 (POST /Users). Variables as in pgbench's built-in tpcb-like script.
\set aid random(1, 100000 * :scale)
\set bid random(1, :scale)
\set tid random(1, 10 * :scale)
\set delta random(-5000, 5000)
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (:tid, :bid, :aid, :delta, CURRENT_TIMESTAMP);
