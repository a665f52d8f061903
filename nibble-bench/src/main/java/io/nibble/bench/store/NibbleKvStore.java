package io.nibble.bench.store;

import io.nibble.Nibble;
import io.nibble.NibbleFullException;
import io.nibble.UpdateMode;
import io.nibble.log.HeadSelection;

/**
 * The embedded engine. The name selects the update mode ({@code nibble-inplace}, {@code nibble-append}) and,
 * after {@code +}, ablations for the component breakdown: {@code one-head} (a single log head per node),
 * {@code random-head} (heads picked at random instead of by CPU), {@code shared-epoch} (epoch slots not striped
 * by CPU).
 */
public final class NibbleKvStore implements KvStore {
    private final Nibble store;
    private final String name;

    public NibbleKvStore(String name, StoreSpec spec) {
        this.name = name;
        String[] parts = name.split("\\+");
        Nibble.Builder builder = Nibble.builder().capacity(spec.capacityBytes());
        builder.updateMode(switch (parts[0]) {
            case "nibble-inplace" -> UpdateMode.IN_PLACE;
            case "nibble-append" -> UpdateMode.APPEND;
            default -> throw new IllegalArgumentException("not a nibble store: " + name);
        });
        for (int i = 1; i < parts.length; i++) {
            switch (parts[i]) {
                case "one-head" -> builder.headsPerNode(1);
                case "random-head" -> builder.headSelection(HeadSelection.RANDOM);
                case "shared-epoch" -> builder.epochStriping(false);
                default -> throw new IllegalArgumentException("unknown ablation '" + parts[i] + "' in " + name
                        + "; known: one-head, random-head, shared-epoch");
            }
        }
        this.store = builder.build();
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public boolean put(byte[] key, byte[] value) {
        try {
            store.put(key, value);
            return true;
        } catch (NibbleFullException e) {
            return false;
        }
    }

    @Override
    public byte[] get(byte[] key) {
        return store.get(key);
    }

    @Override
    public boolean delete(byte[] key) {
        return store.delete(key);
    }

    @Override
    public void close() {
        store.close();
    }
}
