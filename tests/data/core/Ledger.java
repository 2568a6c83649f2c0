package org.example.ledger;

import java.util.*;
import java.util.function.Function;
import static java.util.stream.Collectors.toList;

/**
 * A small double-entry ledger: accounts, postings, and a trial balance.
 * Written for copyguard's tests (Apache-2.0).
 */
public final class Ledger<K extends Comparable<K>> implements Iterable<Ledger.Posting<K>> {
    public record Posting<K>(K account, long cents, String memo) {}

    private final Map<K, Long> balances = new TreeMap<>();
    private final List<Posting<K>> postings = new ArrayList<>();
    private static final String EMPTY_MEMO = "(no memo)";

    @SafeVarargs
    public final void post(String memo, Posting<K>... legs) {
        long sum = 0;
        for (var leg : legs) { sum += leg.cents(); }
        if (sum != 0) {
            throw new IllegalArgumentException("unbalanced entry: " + sum + " cents off in " + memo);
        }
        for (Posting<K> leg : legs) {
            balances.merge(leg.account(), leg.cents(), Long::sum);
            postings.add(new Posting<>(leg.account(), leg.cents(), memo == null ? EMPTY_MEMO : memo));
        }
    }

    public long balance(K account) { return balances.getOrDefault(account, 0L); }

    public List<String> trialBalance(Function<K, String> name) {
        return balances.entrySet().stream()
            .map(e -> String.format("%-20s %12.2f", name.apply(e.getKey()), e.getValue() / 100.0))
            .collect(toList());
    }

    public String describe(int kind) {
        return switch (kind) {
            case 0 -> "asset";
            case 1, 2 -> "liability";
            default -> {
                String text = """
                    unknown kind
                    """;
                yield text.strip() + " #" + kind;
            }
        };
    }

    @Override
    public Iterator<Posting<K>> iterator() {
        return Collections.unmodifiableList(postings).iterator();
    }

    static int checksum(byte[] data) {
        int h = 0x811c9dc5;
        for (int i = 0; i < data.length; i++) {
            h ^= data[i] & 0xff;
            h *= 16777619;
        }
        return h >>> 1;  // non-negative
    }
}
