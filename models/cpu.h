/*
 * cpu.h: how a node's CPU is shared by its pods, as the kubelet sets up the
 * cgroups and the kernel's scheduler divides the CPU among them.
 *
 * A pod's CPU request becomes a weight (cgroup v1 cpu.shares, or on cgroup
 * v2 the cpu.weight the runtime converts the shares to); its limit becomes
 * a CFS quota, a cap on the cores it may use whatever else runs. A pod uses
 * as many cores at once as it has runnable requests (each uses at most one
 * core), up to its limit: that is its demand. While the demands on a node
 * fit in its CPU, every pod gets its demand; when they do not, the node's
 * CPU is divided in proportion to the weights among the pods that want it,
 * no pod getting more than its demand (water-filling: what a pod wanting
 * less than its fair share leaves goes to the others, by weight).
 *
 * Sources: kubernetes/kubernetes pkg/kubelet/cm/helpers_linux.go
 * (MilliCPUToShares: MinShares 2, SharesPerCPU 1024, MaxShares 262144;
 * MilliCPUToQuota, QuotaPeriod 100 ms); opencontainers/cgroups utils.go
 * ConvertCPUSharesToCgroupV2Value (the log-quadratic form, with ceil; the
 * linear form before runc 1.3.2 / crun 1.23; kubernetes#131216, Kubernetes
 * blog 2026-01-30 "New conversion from cgroup v1 CPU shares to v2 CPU
 * weight"); Linux Documentation/scheduler/sched-bwc.rst (CFS bandwidth).
 *
 * Simplification: every pod's cgroup is taken as a sibling of every other;
 * the QoS classes' parent cgroups (kubepods/burstable, kubepods/besteffort)
 * are not modelled, and neither are the node's system daemons (the pods
 * share the node's allocatable CPU less what the DaemonSets request).
 *
 * These are plain functions over arrays, so a test builds the state directly.
 */
#ifndef HEADROOM_CPU_H
#define HEADROOM_CPU_H

#include <stddef.h>
#include <stdint.h>

#include "scn.h"

#define CPU_MIN_SHARES 2          /* helpers_linux.go MinShares */
#define CPU_MAX_SHARES 262144     /* helpers_linux.go MaxShares */

/* cgroup v1 cpu.shares for a CPU request of `cores` (MilliCPUToShares; the
 * request is taken to the nearest millicore first). */
uint64_t cpu_shares(double cores);

/* The weight a pod with CPU request `cores` gets under mapping m: the shares
 * themselves (cgroup v1), or the cgroup v2 cpu.weight in [1, 10000]. Only
 * ratios between weights matter. */
double cpu_weight(enum scn_cpu_weights m, double cores);

/* Divides `cpu` cores among n pods: pod i wants demand[i] >= 0 cores and
 * weighs weight[i] > 0. Writes each pod's cores to alloc[i]: demand[i]
 * when the demands fit, else weight-proportional shares capped by demand,
 * with what a capped pod leaves going to the rest (max-min fairness by
 * weight). The allocations sum to min(cpu, sum of demands). order is
 * scratch space for n indices (the caller's, so nothing is allocated).
 * Returns whether the node is saturated (the demands exceed cpu). */
int cpu_split(size_t n, const double *demand, const double *weight, double cpu, double *alloc, uint32_t *order);

#endif
