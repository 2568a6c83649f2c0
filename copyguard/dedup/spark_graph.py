"""Connected components on Spark DataFrames: alternating large-star / small-star.

Kiveris et al., "Connected Components in MapReduce and Beyond" (SoCC 2014):
O(log^2 n) rounds on any graph, where min-label propagation needs as many
rounds as the longest shortest path. Edges are kept oriented ``(u, v)`` with
``u > v``. The loop ends when the edges form disjoint stars around their
smallest node (every node points at exactly one centre, and no centre points
anywhere): each star is then a component labelled by its smallest node, the
same labels as the local engine. Lineage is cut by a local checkpoint every
round, so long runs do not grow the query plan.
"""

from __future__ import annotations

MAX_ROUNDS = 200


def _sym(edges):
    """Both directions of every edge, as columns ``(u, v)``."""
    from pyspark.sql import functions as F

    return edges.select("u", "v").union(edges.select(F.col("v").alias("u"), F.col("u").alias("v")))


def large_star(edges):
    """Connect every larger neighbour of ``u`` to the smallest node of ``u``'s neighbourhood."""
    from pyspark.sql import functions as F

    sym = _sym(edges)
    mins = sym.groupBy("u").agg(F.least(F.min("v"), F.col("u")).alias("m"))
    return (sym.join(mins, "u").where(F.col("v") > F.col("u"))
            .select(F.col("v").alias("u"), F.col("m").alias("v")).distinct())


def small_star(edges):
    """Connect ``u`` and its smaller neighbours to the smallest of them."""
    from pyspark.sql import functions as F

    mins = edges.groupBy("u").agg(F.min("v").alias("m"))
    moved = (edges.join(mins, "u").where(F.col("v") != F.col("m"))
             .select(F.col("v").alias("u"), F.col("m").alias("v")))
    return moved.union(mins.select("u", F.col("m").alias("v"))).distinct()


def _is_stars(edges) -> bool:
    """True when every ``u`` has one edge and no ``v`` (centre) is itself some ``u``."""
    from pyspark.sql import functions as F

    counts = edges.agg(F.count("*").alias("n"), F.countDistinct("u").alias("d")).first()
    if counts["n"] != counts["d"]:
        return False
    centres = edges.select(F.col("v").alias("u")).distinct()
    return centres.join(edges.select("u"), "u").limit(1).count() == 0


def connected_components(edges):
    """``(u, v)`` for every node ``u`` in a component of two or more nodes, ``v`` its smallest node.

    ``edges`` holds long columns ``lo``, ``hi`` (``lo < hi``); the component's
    smallest node itself gets no row.
    """
    from pyspark.sql import functions as F

    cur = edges.select(F.col("hi").alias("u"), F.col("lo").alias("v")).distinct().localCheckpoint()
    for _ in range(MAX_ROUNDS):
        cur = small_star(large_star(cur)).localCheckpoint()
        if _is_stars(cur):
            return cur
    raise RuntimeError(f"connected components did not converge in {MAX_ROUNDS} rounds")
