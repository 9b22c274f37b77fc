/* SPDX-License-Identifier: MIT */
#ifndef RAUM_VERSION_H
#define RAUM_VERSION_H

#define RAUM_VERSION "0.1.0"
#ifndef RAUM_BUILD_DATE
#define RAUM_BUILD_DATE "unknown"
#endif

#endif
