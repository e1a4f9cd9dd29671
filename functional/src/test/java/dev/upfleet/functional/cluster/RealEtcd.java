package dev.upfleet.functional.cluster;

import dev.upfleet.controller.registry.EtcdCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** One real 3-member etcd per test class; each test gets its own key prefix through its Cluster fixture. */
abstract class RealEtcd {
    static EtcdCluster etcd;

    @BeforeAll
    static void startEtcd() {
        etcd = EtcdCluster.start(3);
    }

    @AfterAll
    static void stopEtcd() {
        if (etcd != null) {
            etcd.close();
            etcd = null;
        }
    }
}
