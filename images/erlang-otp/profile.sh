# /etc/profile.d/erlang-otp.sh: login shells (bash -l, CodeBuild's shell) get Erlang/OTP on PATH.
# Sourcing /usr/local/erlang/activate again later is harmless (it deactivates first).
if [ -r /usr/local/erlang/activate ]; then
  . /usr/local/erlang/activate
fi
