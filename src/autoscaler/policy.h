// The autoscaler's decisions for one cluster: pure (no I/O, time from the view), so that the
// daemon (autoscaler.h), the tests and the day simulator (day_sim.h) run the same code.
//
// Scale-out, from three signals; the step is sized from the work, not +1 per tick:
//   1. Reservation: per purchase option, CPU or memory reservation (sum of reserved over sum of
//      registered, ACTIVE registered instances) above its threshold (lower for spot) → enough
//      instances of the group's first type that the reservation would fall to the threshold,
//      counting capacity already booting.
//   2. Stalled services: desired > running + pending for longer than stalled_grace → the
//      missing tasks, each sized from the service's task reservation.
//   3. Capacity requests (RunTask failed for lack of resources) → one task each.
//   The tasks of 2 and 3 are packed first into the free room of instances that are booting (not
//   yet registered) or that the group is about to launch (desired above its instance count),
//   then first-fit-decreasing onto new instances of the group's first instance type. The count
//   of new instances N is split between on-demand and spot so that, after the step, the
//   on-demand share of the cluster's instances is as close to on_demand_share as whole
//   instances allow (ties go to spot). The larger of the reservation step and the packing step
//   wins per purchase option. Within a purchase option the step goes to the group with the most
//   room below its max; max_step caps each group's increase per decision.
// Scale-in, from one signal: CPU and memory reservation both below the scale-in threshold of
//   the purchase option continuously for scale_in_after, no pending work (stalled services or
//   capacity requests), outside the cooldowns. Victims: ACTIVE registered instances not
//   protected by a running scale-in, whose tasks fit in the free room of the instances that
//   stay (first-fit), chosen to empty fastest (fewest tasks, then smallest reservation, then
//   newest), spot before on-demand as far as the on-demand share allows, never taking a group
//   below its min, and no more than the reservation after removal keeps under the scale-out
//   threshold; at most disruption_budget instances being scaled in at once (counted through
//   the view's DRAINING instances and the scale-ins the caller reports as running).
// Safety: every group's desired is clamped to [min, max]; scale_out_cooldown after a scale-out
//   of a group before it scales out again unless the step is larger than the last one (a
//   burst is served at once); scale_in_cooldown after a scale-out of the cluster before the
//   next scale-in, and scale_in_interval between scale-ins (the disruption budget, not a long
//   wait, is what paces them: a cluster left oversized by a burst sheds it in minutes).
//
// Choices where the above leaves room (what an ECS operator expects):
//   - Thresholds compare strictly: "above" is > scale-out threshold, "below" is < scale-in
//     threshold; a service is stalled once it has been short for strictly more than
//     stalled_grace. Any service short of tasks (even within its grace) or any capacity request
//     holds scale-in; only the ones past the grace count as pending_tasks and are packed.
//   - CapacityRequest::group_name is informational: the cluster's share decides the purchase
//     option. capacity.h holds a request for minutes, longer than capacity takes to boot: a
//     request (task_id + received) that a decision provisioned for (booting room, or a new
//     instance of a group whose step was not held) is packed later only into booting room,
//     first, so it keeps the room launched for it; once that room registered it never asks for
//     more (the task was placed, or hako's retry after the hold arrives as a new request).
//   - Each new instance of the packing goes to the purchase option that keeps the share closest
//     (ties spot), counting ACTIVE, booting and about-to-launch instances; if that option has no
//     group with room (or its type is too small for the task) the other option takes it. A step
//     larger than the first group's room spills to the next group of the same option.
//   - Weighted Spot Fleets: desired/min/max are capacity units, steps and max_step are instances
//     of the first type (an instance adds its weight to the target capacity).
//   - desired below min is raised to min; desired above max is never lowered here (that would
//     let the group terminate instances without service-out), the group only stops growing.
//   - Victims: candidates are registered, ACTIVE, not scale_in_protected instances of an option
//     whose reservation has been low long enough; the option whose removal keeps the share
//     closest goes first (ties spot), then emptiest within it. Their tasks are moved as
//     running+pending equal pieces of the instance's reservation (the view has no per-task
//     sizes), first-fit onto registered ACTIVE instances by id; after the move no option may
//     reach its scale-out threshold.
//   - The reservation step is sized with the first type of the option's group with the most
//     room; the packing opens each new instance for the option that keeps the share closest
//     given the instances opened so far (with equal types this is the split of N above).
//   - Instances chosen earlier that are still in the view are no candidates and still count
//     in their group's desired (against min) until they leave the view.
//   - Disruption budget: in flight = DRAINING instances of the view + `scaling_in`, minus the
//     instances this Policy chose earlier that are already DRAINING (not counted twice).
//
// Thread safety: one Policy per cluster, used from one thread.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "autoscaler/view.h"
#include "base/clock.h"

namespace steady::autoscaler {

struct ClusterPolicy {
  std::string cluster;
  std::vector<GroupConfig> groups;
  double on_demand_share = 0.2;  // on-demand : spot = 1 : 4
  // Reservation thresholds in percent, per purchase option.
  // Defaults chosen with bench/autoscaler_day.sh (a day of 40 clusters, 80,000 RunTask): the
  // reactive signals (stalled services, capacity requests) carry bursts, so reservation only
  // needs a little headroom; wider bands left the fleet 30-140% larger than ECS managed
  // scaling for the same work (docs/autoscaler.md has the figures).
  double scale_out_reservation = 95;
  double spot_scale_out_reservation = 90;
  double scale_in_reservation = 85;
  double spot_scale_in_reservation = 80;
  Duration scale_in_after = std::chrono::minutes(2);
  Duration stalled_grace = std::chrono::seconds(30);
  Duration scale_out_cooldown = std::chrono::seconds(60);
  Duration scale_in_cooldown = std::chrono::minutes(5);   // after a scale-out
  Duration scale_in_interval = std::chrono::seconds(30);  // between scale-ins
  int max_step = 100;          // instances added to one group by one decision
  int disruption_budget = 10;  // instances being scaled in at once in the cluster
};

// One signal's contribution, for the decision log and the metrics.
struct Signal {
  std::string kind;    // "reservation", "stalled_service", "capacity_request", "low_reservation"
  std::string detail;  // e.g. "spot cpu 91.2% > 70%", "web: 3 of 10 missing for 45s"
};

struct Decision {
  // Groups whose desired capacity changes: name → new desired (already clamped).
  std::map<std::string, int> desired;
  // Instances to take out through service-out and then terminate (decrementing desired).
  struct Victim {
    std::string instance_id;
    std::string group;
  };
  std::vector<Victim> scale_in;
  std::vector<Signal> signals;  // what was seen, whether or not it led to an action
  std::string reason;           // one line: why this decision (or why none)
  // Work waiting for capacity (tasks of stalled services and capacity requests).
  int pending_tasks = 0;
  bool empty() const { return desired.empty() && scale_in.empty(); }
};

class Policy {
 public:
  explicit Policy(ClusterPolicy config);

  // Decides on view (view.at is "now"). `scaling_in` is the number of instances the caller is
  // still taking out from earlier decisions (counted against the disruption budget).
  Decision Evaluate(const ClusterView& view, int scaling_in = 0);

  const ClusterPolicy& config() const { return config_; }

 private:
  ClusterPolicy config_;
  std::map<std::string, Time> stalled_since_;   // service → first seen stalled
  std::map<Purchase, Time> low_since_;          // purchase option → reservation low since
  std::map<std::string, Time> last_scale_out_;  // group → time
  std::map<std::string, int> last_step_;        // group → size of its last scale-out
  std::optional<Time> last_cluster_change_;     // the last scale-out
  std::optional<Time> last_scale_in_;
  std::set<std::string> victims_;       // chosen for scale-in, still in the view
  std::map<std::string, Time> served_;  // capacity request task_id → received, provisioned for
};

}  // namespace steady::autoscaler
