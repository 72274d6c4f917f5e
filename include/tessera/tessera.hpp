// Umbrella header for apps: every public tessera header. Library code includes what it uses.
#pragma once

#include "tessera/core/box.hpp"
#include "tessera/core/config.hpp"
#include "tessera/core/error.hpp"
#include "tessera/core/log.hpp"
#include "tessera/core/mpi.hpp"
#include "tessera/core/progress.hpp"
#include "tessera/core/runtime.hpp"
#include "tessera/core/summary.hpp"
#include "tessera/core/timer.hpp"
#include "tessera/core/types.hpp"
#include "tessera/core/version.hpp"
#include "tessera/core/view.hpp"
