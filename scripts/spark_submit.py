"""spark-submit entry point for the Storyline batch pipeline.

    spark-submit --master yarn --py-files storyline-0.1.0-py3-none-any.whl \\
        scripts/spark_submit.py hdfs:///news/2024/*.jsonl hdfs:///storyline/out

Same arguments as ``python -m storyline.spark --help`` (see docs/spark.md).
"""

import sys

from storyline.spark import main

if __name__ == "__main__":
    sys.exit(main())
