// Package clustertest holds the cluster suite (issue 12): the API served by several servers
// over several connections to one database, as replicas of a deployment are, with writes
// spread over them at once. It has tests only:
//
//   - on MariaDB Galera when TEST_GALERA_DSNS lists the three node URLs (mysql://...,
//     separated by commas; .ci/run starts a cluster with galera-up.sh): one server per node;
//     TEST_GALERA_DIR and TEST_GALERA_UP (the cluster's directory and galera-up.sh) let the
//     suite kill node 3 and start it again, and cut it off (run those tests alone: they fail
//     whatever else uses the cluster then);
//   - on one MariaDB when TEST_MYSQL_DSN is set: two servers, each with its own pool.
//
// TEST_GALERA_SYNC_WAIT=off opens the Galera stores without wsrep_sync_wait, to measure what
// the setting prevents (the stale-read test then fails; see the README).
package clustertest
