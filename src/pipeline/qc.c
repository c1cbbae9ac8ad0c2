/*
 * qc.c - station quality from the residuals of the events it took part in.
 *
 * Every located event leaves, at each of its stations, a residual: observed
 * minus predicted arrival.  A healthy station's residuals scatter around zero
 * with the size of the propagation error; a station whose clock is off shows
 * the offset in every residual, whatever the source; a station whose picks are
 * poor shows a wide scatter.  The report per station: picks received and used,
 * median and MAD of residuals, status-record outages.
 */
#include "pipeline_priv.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int
cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : (x > y ? 1 : 0);
}

static double
median(double *v, size_t n)
{
    if (n == 0) {
        return 0.0;
    }
    qsort(v, n, sizeof(double), cmp_d);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

int
tl__station_qc(struct tl_pipeline *p)
{
    p->qc = tl_calloc(p->n_sta + 1, sizeof(*p->qc));
    size_t *cnt = tl_calloc(p->n_sta + 1, sizeof(size_t));
    if (!p->qc || !cnt) {
        tl_free(cnt);
        return TL_ENOMEM;
    }
    for (size_t i = 0; i < p->n_ev; i++) {
        for (size_t k = 0; k < p->ev[i].n_picks; k++) {
            if (p->ev[i].arr && p->ev[i].arr[k].weight >= 0.5) {
                cnt[p->pk[p->ev[i].picks[k]].sta]++;
            }
        }
    }
    double **res = tl_calloc(p->n_sta + 1, sizeof(double *));
    size_t *fill = tl_calloc(p->n_sta + 1, sizeof(size_t));
    int rc = res && fill ? TL_OK : TL_ENOMEM;
    for (size_t s = 0; s < p->n_sta && rc == TL_OK; s++) {
        res[s] = tl_malloc((cnt[s] + 1) * sizeof(double));
        if (!res[s]) {
            rc = TL_ENOMEM;
        }
    }
    if (rc == TL_OK) {
        for (size_t i = 0; i < p->n_ev; i++) {
            for (size_t k = 0; k < p->ev[i].n_picks; k++) {
                if (p->ev[i].arr && p->ev[i].arr[k].weight >= 0.5) {
                    size_t s = (size_t)p->pk[p->ev[i].picks[k]].sta;
                    res[s][fill[s]++] = p->ev[i].arr[k].residual_s;
                }
            }
        }
        for (size_t s = 0; s < p->n_sta; s++) {
            struct tl_station_qc *q = &p->qc[s];
            memcpy(q->station, tl_mission_station(p->m, s)->id, TL_STATION_ID_MAX);
            q->n_picks = (long)(p->sx[s].n_picks + p->sx[s].n_shocks);
            q->n_used = (long)fill[s];
            q->median_residual_s = median(res[s], fill[s]);
            for (size_t i = 0; i < fill[s]; i++) {
                res[s][i] = fabs(res[s][i] - q->median_residual_s);
            }
            q->mad_residual_s = median(res[s], fill[s]);
            q->clock_offset_s = p->sx[s].clock_corr_s;
            q->clock_flag = p->sx[s].clock_corr_s != 0.0;
            q->misfit_flag = p->sx[s].weight_scale < 1.0;
            q->flag_from_ns = p->sx[s].corr_from_ns;
            q->flag_to_ns = p->sx[s].corr_to_ns;
        }
        /* outages from status records: down until the next non-down record */
        tl_time_ns *down_since = tl_calloc(p->n_sta + 1, sizeof(tl_time_ns));
        if (!down_since) {
            rc = TL_ENOMEM;
        } else {
            size_t *ord = tl_malloc((p->n_st + 1) * sizeof(size_t));
            if (!ord) {
                rc = TL_ENOMEM;
            } else {
                /* statuses in time order (insertion sort on a copy of indices is enough: few) */
                for (size_t i = 0; i < p->n_st; i++) {
                    size_t j = i;
                    while (j > 0 && p->st[ord[j - 1]].t_ns > p->st[i].t_ns) {
                        ord[j] = ord[j - 1];
                        j--;
                    }
                    ord[j] = i;
                }
                for (size_t i = 0; i < p->n_st; i++) {
                    size_t r = ord[i];
                    size_t s = (size_t)p->st_sta[r];
                    if (p->st[r].state == TL_STATE_DOWN) {
                        p->qc[s].n_down++;
                        if (!down_since[s]) {
                            down_since[s] = p->st[r].t_ns;
                        }
                    } else if (down_since[s]) {
                        p->qc[s].n_outage_s += (long)((p->st[r].t_ns - down_since[s]) / TL_NS_PER_S);
                        down_since[s] = 0;
                    }
                }
                tl_free(ord);
            }
            tl_free(down_since);
        }
    }
    for (size_t s = 0; res && s < p->n_sta; s++) {
        tl_free(res[s]);
    }
    tl_free(res);
    tl_free(fill);
    tl_free(cnt);
    return rc;
}
