%% A greeter that remembers how often it greeted each name.
-module(hello_greeter).
-behaviour(gen_server).

-export([start_link/1, greet/1, count/1, stop/0]).
-export([format_greeting/2]).
-export([init/1, handle_call/3, handle_cast/2]).

start_link(Greeting) ->
    gen_server:start_link({local, ?MODULE}, ?MODULE, Greeting, []).

%% Greets Name; the second and later greetings of the same name say so.
greet(Name) when is_binary(Name), byte_size(Name) > 0 ->
    gen_server:call(?MODULE, {greet, Name});
greet(_) ->
    erlang:error(badarg).

count(Name) ->
    gen_server:call(?MODULE, {count, Name}).

stop() ->
    gen_server:stop(?MODULE).

%% Pure, so it is tested without a process.
format_greeting(Greeting, {Name, 1}) ->
    <<Greeting/binary, ", ", Name/binary, "!">>;
format_greeting(Greeting, {Name, N}) when N > 1 ->
    Times = integer_to_binary(N),
    <<Greeting/binary, " again, ", Name/binary, " (", Times/binary, " times)">>.

init(Greeting) ->
    {ok, #{greeting => Greeting, seen => #{}}}.

handle_call({greet, Name}, _From, State = #{greeting := Greeting, seen := Seen}) ->
    N = maps:get(Name, Seen, 0) + 1,
    {reply, format_greeting(Greeting, {Name, N}), State#{seen := Seen#{Name => N}}};
handle_call({count, Name}, _From, State = #{seen := Seen}) ->
    {reply, maps:get(Name, Seen, 0), State}.

handle_cast(_Msg, State) ->
    {noreply, State}.
