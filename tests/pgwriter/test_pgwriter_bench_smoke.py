"""A tiny run of the pgwriter benchmark (bench_pgwriter.py), so the
benchmark keeps working: every stage runs and reports sane figures."""

import os
import sys
import unittest

import bench_pgwriter


class BenchSmoke(unittest.TestCase):
    def test_tiny_run(self):
        sys.argv = ["bench_pgwriter.py", "--events", "2000",
                    "--latency-rate", "400", "--latency-seconds", "2",
                    "--keep-up-events", "2000", "--repeats", "1", "--json"]
        try:
            r = bench_pgwriter.main()
        except BaseException:
            sys.stderr.write("bench so far: %r\n" % bench_pgwriter.last_results)
            raise
        for k in ("batch_100", "batch_1000", "ceiling_copy"):
            self.assertGreater(r[k]["events_per_s"], 0, k)
        self.assertEqual(r["latency"]["rows"], 800)
        self.assertEqual(r["latency_trickle"]["rows"], 20)
        self.assertGreater(r["latency"]["p99_ms"], 0)
        self.assertLess(r["latency"]["p99_ms"], 60000)
        self.assertGreaterEqual(r["keep_up"]["max_total_lag"], 0)
        # Through agentlogd too, when it is built (BENCHMARKS.md reports it).
        if os.access(os.path.join(os.environ["AGENTLOG_BUILD"], "daemon",
                                  "agentlogd"), os.X_OK):
            k = r["keep_up_agentlogd"]
            self.assertEqual(k["events"], 2000)
            self.assertGreaterEqual(k["max_total_lag"], 0)
            self.assertGreater(k["end_to_end_events_per_s"], 0)


if __name__ == "__main__":
    unittest.main()
