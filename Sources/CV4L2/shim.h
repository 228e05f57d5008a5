// Shim for libv4l2 and libv4lconvert (pkg-config `libv4l2`, apt `libv4l-dev`).
//
// Swift cannot call C variadic functions and does not import function-like
// macros, so this header wraps `v4l2_open`/`v4l2_ioctl` and re-exports each
// `VIDIOC_*` request code as a typed constant. Only the CaptureEngine module
// imports it.
#ifndef CAPTUREGUARD_CV4L2_SHIM_H
#define CAPTUREGUARD_CV4L2_SHIM_H

#include <errno.h>
#include <fcntl.h>
#include <linux/videodev2.h>
#include <libv4l2.h>
#include <libv4lconvert.h>
#include <libv4l-plugin.h>
#include <string.h>

static inline int cv4l2_open(const char *path, int flags) { return v4l2_open(path, flags); }
static inline int cv4l2_ioctl(int fd, unsigned long request, void *arg) { return v4l2_ioctl(fd, request, arg); }
static inline int cv4l2_errno(void) { return errno; }

static const unsigned long CV4L2_VIDIOC_QUERYCAP = VIDIOC_QUERYCAP;
static const unsigned long CV4L2_VIDIOC_ENUM_FMT = VIDIOC_ENUM_FMT;
static const unsigned long CV4L2_VIDIOC_ENUM_FRAMESIZES = VIDIOC_ENUM_FRAMESIZES;
static const unsigned long CV4L2_VIDIOC_ENUM_FRAMEINTERVALS = VIDIOC_ENUM_FRAMEINTERVALS;
static const unsigned long CV4L2_VIDIOC_G_FMT = VIDIOC_G_FMT;
static const unsigned long CV4L2_VIDIOC_S_FMT = VIDIOC_S_FMT;
static const unsigned long CV4L2_VIDIOC_G_PARM = VIDIOC_G_PARM;
static const unsigned long CV4L2_VIDIOC_S_PARM = VIDIOC_S_PARM;
static const unsigned long CV4L2_VIDIOC_QUERY_EXT_CTRL = VIDIOC_QUERY_EXT_CTRL;
static const unsigned long CV4L2_VIDIOC_QUERYMENU = VIDIOC_QUERYMENU;
static const unsigned long CV4L2_VIDIOC_ENUMINPUT = VIDIOC_ENUMINPUT;
static const unsigned long CV4L2_VIDIOC_G_INPUT = VIDIOC_G_INPUT;
static const unsigned long CV4L2_VIDIOC_ENUMOUTPUT = VIDIOC_ENUMOUTPUT;
static const unsigned long CV4L2_VIDIOC_REQBUFS = VIDIOC_REQBUFS;
static const unsigned long CV4L2_VIDIOC_QUERYBUF = VIDIOC_QUERYBUF;
static const unsigned long CV4L2_VIDIOC_QBUF = VIDIOC_QBUF;
static const unsigned long CV4L2_VIDIOC_DQBUF = VIDIOC_DQBUF;
static const unsigned long CV4L2_VIDIOC_STREAMON = VIDIOC_STREAMON;
static const unsigned long CV4L2_VIDIOC_STREAMOFF = VIDIOC_STREAMOFF;

// libv4lconvert insists on querying a device when it is created. To decode
// frames read from a capture file, give it a detached "device" that answers
// QUERYCAP as a plain capture node and refuses everything else, so no
// per-camera quirk or software processing is selected.
static int cv4l2_detached_ioctl(void *priv, int fd, unsigned long request, void *arg) {
    (void)priv;
    (void)fd;
    if (request == VIDIOC_QUERYCAP) {
        struct v4l2_capability *cap = (struct v4l2_capability *)arg;
        memset(cap, 0, sizeof *cap);
        strncpy((char *)cap->driver, "captureguard-file", sizeof cap->driver - 1);
        strncpy((char *)cap->card, "capture file", sizeof cap->card - 1);
        strncpy((char *)cap->bus_info, "file:", sizeof cap->bus_info - 1);
        cap->capabilities = V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_STREAMING | V4L2_CAP_DEVICE_CAPS;
        cap->device_caps = V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_STREAMING;
        return 0;
    }
    errno = ENOTTY;
    return -1;
}

static inline struct v4lconvert_data *cv4l2_convert_create_detached(void) {
    static const struct libv4l_dev_ops detached_ops = { .ioctl = cv4l2_detached_ioctl };
    return v4lconvert_create_with_dev_ops(-1, NULL, &detached_ops);
}

#endif
