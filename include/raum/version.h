/* SPDX-License-Identifier: MIT */
#ifndef RAUM_VERSION_H
#define RAUM_VERSION_H

#define RAUM_VERSION_MAJOR 0
#define RAUM_VERSION_MINOR 2
#define RAUM_VERSION_PATCH 0
#define RAUM_VERSION "0.2.0"
#ifndef RAUM_BUILD_DATE
#define RAUM_BUILD_DATE "unknown"
#endif

#endif
