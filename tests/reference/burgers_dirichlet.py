import h5py, numpy as np
from scipy.integrate import solve_ivp
from scipy.interpolate import CubicSpline
f = h5py.File('c.h5'); a = f['a'][0, 0]; u = f['u'][0, :, 0]; t = f['t'][()]; nu = 0.05
n = 1024; x = np.linspace(0, 1, n + 1); h = x[1]
u0 = CubicSpline(np.linspace(0, 1, a.size), a)(x)
def rhs(_, w):
    v = np.concatenate([[0], w, [0]])
    return -v[1:-1] * (v[2:] - v[:-2]) / (2 * h) + nu * (v[2:] - 2 * v[1:-1] + v[:-2]) / h**2
sol = solve_ivp(rhs, (0, t[-1]), u0[1:-1], t_eval=t, method='BDF', rtol=1e-8, atol=1e-10)
ref = np.concatenate([np.zeros((1, len(t))), sol.y, np.zeros((1, len(t)))])[:: n // 64].T
print('max |u| ', np.abs(u).max(), ' max diff neop vs FD(1024) ', np.abs(u - ref).max())
