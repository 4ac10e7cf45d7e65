#include "autoscaler/view.h"

namespace steady::autoscaler {

const char* PurchaseName(Purchase p) { return p == Purchase::kSpot ? "spot" : "on-demand"; }

}  // namespace steady::autoscaler
