/*
 * truceline/truceline.h - the umbrella header of libtruceline.
 *
 * libtruceline turns what acoustic, infrasound and seismic stations along a
 * ceasefire line hear into located, attributed findings with calibrated
 * uncertainty, and keeps every published record in a transparency log.
 * Include this header, or only the subsystem headers you need.
 */
#ifndef TRUCELINE_H
#define TRUCELINE_H

#include <truceline/bulletin.h>
#include <truceline/common.h>
#include <truceline/detect.h>
#include <truceline/eval.h>
#include <truceline/geo.h>
#include <truceline/jsonl.h>
#include <truceline/mission.h>
#include <truceline/physics.h>
#include <truceline/pipeline.h>
#include <truceline/record.h>
#include <truceline/report.h>
#include <truceline/server.h>
#include <truceline/sim.h>
#include <truceline/time.h>
#include <truceline/tlog.h>

#endif
