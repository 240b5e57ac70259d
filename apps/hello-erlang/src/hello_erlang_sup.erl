-module(hello_erlang_sup).
-behaviour(supervisor).

-export([start_link/0, init/1]).

start_link() ->
    supervisor:start_link({local, ?MODULE}, ?MODULE, []).

init([]) ->
    Greeting = application:get_env(hello_erlang, greeting, <<"Hello">>),
    Greeter = #{id => hello_greeter,
                start => {hello_greeter, start_link, [Greeting]},
                restart => permanent,
                type => worker},
    {ok, {#{strategy => one_for_one, intensity => 5, period => 10}, [Greeter]}}.
